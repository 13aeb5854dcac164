package auditrules

// A service account's token is meant to be used by the pods that run as it, from
// their addresses. The same token used from elsewhere (a laptop, another pod, a
// host outside the cluster) was copied out of a pod, a Secret or a log. A token
// bound to a pod (every projected token since Kubernetes 1.21) names its pod in
// the user's extra (authentication.kubernetes.io/pod-name): when the engine knows
// that pod's addresses (from the log or the state), a request from any other
// address is reported. Otherwise the detection learns each account's addresses
// during a warm-up and reports an address it has not seen for an account it has.

import (
	"net/netip"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	extraPodName = "authentication.kubernetes.io/pod-name"
	// maxAddresses bounds the addresses remembered per service account.
	maxAddresses = 32
)

func validPrefix(s string) error {
	if _, err := netip.ParsePrefix(s); err != nil {
		_, err2 := netip.ParseAddr(s)
		if err2 != nil {
			return err
		}
	}
	return nil
}

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-934", Title: "Service account token used from a new source address", Severity: finding.Medium, Category: catAudit,
			Rationale: "A request authenticated as a service account came from an address its pods do not use: the token was taken from a pod, a Secret or a log and replayed elsewhere (MITRE T1550.001 use of an application access token; T1528). " +
				"High when the token is bound to a pod whose addresses the engine knows (from the log's pod events or the state) and the request came from none of them; the chain includes the pod's creation. Otherwise medium: the address is new for an account whose addresses were learned (warmup from the start of the log, then every address seen is remembered; an account first seen after the warm-up is learned, not reported). " +
				"The address is the one the API server saw (the last of sourceIPs: earlier ones come from headers the client writes). Source NAT between pods and the API server (some managed clusters) hides pod addresses: list such ranges in trustedSources.",
			Remediation: "Find where the address is and how it got the token; delete the token's source (the pod, the Secret) and, if the account holds permissions worth stealing, recreate the service account so that every token of it is invalid. Prefer short-lived projected tokens bound to pods over Secret-based tokens.",
			References:  []string{refSATokens, "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-tokens", mitreURL("T1550.001"), mitreURL("T1528")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1550.001", "T1528"}, NSA: []string{"Pod security: protecting pod service account tokens"}, Layer: layerCluster},
			Params: []rules.Param{
				{Name: "warmup", Description: "How long, from the first event, addresses are learned before new ones are reported (a Go duration).", Default: "15m", Valid: validDuration},
				{Name: "trustedSources", Description: "Addresses or CIDR ranges that are never new (node ranges behind source NAT, a proxy).", Default: []string{}, Valid: validPrefix},
				{Name: "exempt", Description: "Service account users (shell patterns) not judged.", Default: []string{}, Syntax: rules.Glob},
			},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"*"}, Resources: []string{"*"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete, Groups: []string{"system:serviceaccounts"}},
		{Verbs: []string{"*"}, NonResource: true, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete, Groups: []string{"system:serviceaccounts"}},
	}, func(s *audit.Setup) audit.Detector {
		d := &tokenSource{
			warm: warmup{d: s.Duration("warmup", 15*time.Minute)}, exempt: s.Strings("exempt"),
			seen: audit.NewLRU[string, []string](s.Limits.MaxIdentities),
		}
		for _, t := range s.Strings("trustedSources") {
			if p, err := netip.ParsePrefix(t); err == nil {
				d.trusted = append(d.trusted, p)
			} else if a, err := netip.ParseAddr(t); err == nil {
				d.trusted = append(d.trusted, netip.PrefixFrom(a, a.BitLen()))
			}
		}
		return d
	})
}

type tokenSource struct {
	warm    warmup
	exempt  []string
	trusted []netip.Prefix
	// seen are the addresses of each service account (and pod-bound addresses
	// reported, keyed by account and pod).
	seen *audit.LRU[string, []string]
}

func (d *tokenSource) isTrusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range d.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (d *tokenSource) Event(c *audit.Context) {
	ev := c.Event()
	learning := d.warm.learning(c)
	if !completed(ev) || ev.ImpersonatedUser != nil {
		return
	}
	a := c.Actor()
	addr := remoteAddress(ev)
	if a.ServiceAccount == "" || addr == "" || matchAny(d.exempt, a.User) || d.isTrusted(addr) {
		return
	}
	ns, _, _ := strings.Cut(a.ServiceAccount, "/")
	if pods := ev.User.Extra[extraPodName]; len(pods) == 1 {
		if pod, ok := c.Object("pods", ns, pods[0]); ok && pod.Pod != nil && len(pod.Pod.IPs) > 0 {
			if contains(pod.Pod.IPs, addr) {
				d.learn(a.ServiceAccount, addr)
				return
			}
			key := a.ServiceAccount + "\x00" + pods[0]
			if addrs, _ := d.seen.Get(key); contains(addrs, addr) {
				return
			}
			d.remember(key, addr)
			var chain []*auditlog.Event
			if pod.Created != nil {
				chain = append(chain, pod.Created)
			}
			c.Report(audit.Report{Object: identityRef(a), Chain: chain, Severity: finding.High, HasSeverity: true,
				Message: "token of " + a.ServiceAccount + " bound to pod " + ns + "/" + pods[0] + " (" + strings.Join(pod.Pod.IPs, ", ") + ") used from " + addr + ": " + ev.Verb + " " + target(ev)})
			return
		}
	}
	addrs, known := d.seen.Get(a.ServiceAccount)
	if contains(addrs, addr) {
		return
	}
	d.learn(a.ServiceAccount, addr)
	if learning || !known || len(addrs) == 0 || len(addrs) >= maxAddresses {
		return
	}
	c.Report(audit.Report{Object: identityRef(a),
		Message: "token of " + a.ServiceAccount + " used from " + addr + ", new for it (seen from " + strings.Join(addrs, ", ") + "): " + ev.Verb + " " + target(ev)})
}

func (d *tokenSource) learn(sa, addr string) { d.remember(sa, addr) }

// remember adds an address to a key's list; a full list (maxAddresses) takes no
// more: an account used from that many addresses is not judged further.
func (d *tokenSource) remember(key, addr string) {
	addrs, _ := d.seen.Get(key)
	if contains(addrs, addr) || len(addrs) >= maxAddresses {
		return
	}
	d.seen.Put(key, append(addrs[:len(addrs):len(addrs)], addr))
}
