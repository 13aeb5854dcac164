//go:build tools

// Package k8sbins records the commands this module builds, so that go mod tidy
// keeps their requirements.
package k8sbins

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
