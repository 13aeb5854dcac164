package apidefaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestPullPolicy(t *testing.T) {
	for image, want := range map[string]corev1.PullPolicy{
		"nginx":                        corev1.PullAlways,
		"nginx:latest":                 corev1.PullAlways,
		"nginx:1.27":                   corev1.PullIfNotPresent,
		"nginx@sha256:" + sha64:        corev1.PullIfNotPresent,
		"nginx:latest@sha256:" + sha64: corev1.PullAlways,
		"NOT A REFERENCE":              corev1.PullIfNotPresent,
	} {
		for range 2 { // the second answer comes from the cache
			if got := PullPolicy(image); got != want {
				t.Errorf("%s: %s, want %s", image, got, want)
			}
		}
	}
}

const sha64 = "0000000000000000000000000000000000000000000000000000000000000000"

func TestProbesAndRoundUp(t *testing.T) {
	c := &corev1.Container{
		LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{}}},
		StartupProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9}}, PeriodSeconds: 5},
		Lifecycle:     &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/stop"}}},
	}
	Probes(c)
	l := c.LivenessProbe
	if l.TimeoutSeconds != 1 || l.PeriodSeconds != 10 || l.SuccessThreshold != 1 || l.FailureThreshold != 3 || l.HTTPGet.Path != "/" || l.HTTPGet.Scheme != corev1.URISchemeHTTP {
		t.Errorf("liveness probe: %+v %+v", l, l.HTTPGet)
	}
	if s := c.StartupProbe; s.PeriodSeconds != 5 || s.GRPC.Service == nil || *s.GRPC.Service != "" {
		t.Errorf("startup probe: %+v", s)
	}
	if h := c.Lifecycle.PreStop.HTTPGet; h.Path != "/stop" || h.Scheme != corev1.URISchemeHTTP {
		t.Errorf("preStop: %+v", h)
	}
	rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100u"), corev1.ResourceMemory: resource.MustParse("1Gi")}
	RoundUp(rl)
	if cpu := rl[corev1.ResourceCPU]; cpu.String() != "1m" {
		t.Errorf("cpu rounded to %s, want 1m", cpu.String())
	}
	if mem := rl[corev1.ResourceMemory]; mem.String() != "1Gi" {
		t.Errorf("memory changed to %s", mem.String())
	}
}
