package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/palisade-k8s/palisade/internal/signature"
)

// newImageCache makes the cache of signature verdicts, counted in the metrics:
// verifications by verdict and their latency, cache hits, verifications coalesced,
// registry errors, tag resolutions and the verdicts held.
func (s *Server) newImageCache(o signature.CacheOptions) *signature.Cache {
	verifications := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "palisade_webhook_image_verifications_total",
		Help: "Image signature verifications run (not served from the cache), by verdict: verified (a requirement passed), allowed (no requirement matched, the default admits), refused, unchecked (the signatures could not be read: registry error or deadline).",
	}, []string{"verdict"})
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "palisade_webhook_image_verification_duration_seconds",
		Help:    "Time one image signature verification took (registry reads and cryptography), including those that went on past their review's deadline.",
		Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	})
	observe := o.Observe
	o.Observe = func(elapsed time.Duration, r *signature.Result) {
		verifications.WithLabelValues(verdictLabel(r)).Inc()
		latency.Observe(elapsed.Seconds())
		if observe != nil {
			observe(elapsed, r)
		}
	}
	c := signature.NewCache(o)
	stat := func(f func(signature.CacheStats) int64) func() float64 {
		return func() float64 { return float64(f(c.Stats())) }
	}
	s.metrics.registry.MustRegister(verifications, latency,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "palisade_webhook_image_cache_hits_total",
			Help: "Image signature verdicts served from the cache (by digest and policy generation).",
		}, stat(func(st signature.CacheStats) int64 { return st.Hits })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "palisade_webhook_image_coalesced_total",
			Help: "Reviews that waited for a verification of the same digest another review had started, instead of starting one.",
		}, stat(func(st signature.CacheStats) int64 { return st.Coalesced })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "palisade_webhook_image_registry_errors_total",
			Help: "Image verifications and tag resolutions that failed to read the registry (or ran out of time): the images are unchecked (PAL-116).",
		}, stat(func(st signature.CacheStats) int64 { return st.Unchecked + st.ResolveErrors })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "palisade_webhook_image_tag_resolutions_total",
			Help: "Tags resolved to digests through the registry (not served from the cache of resolutions).",
		}, stat(func(st signature.CacheStats) int64 { return st.Resolutions })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "palisade_webhook_image_cache_entries",
			Help: "Image signature verdicts held in the cache.",
		}, func() float64 { return float64(c.Stats().Entries) }),
	)
	return c
}

// verdictLabel is a verification's verdict, a metric label.
func verdictLabel(r *signature.Result) string {
	switch {
	case r.Unchecked != nil:
		return "unchecked"
	case r.Allowed && r.Defaulted:
		return "allowed"
	case r.Allowed:
		return "verified"
	}
	return "refused"
}
