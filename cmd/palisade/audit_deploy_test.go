package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/cli"
)

// TestShippedAuditPolicy: the audit Policy shipped beside the audit webhook's
// kubeconfig leaves no detection blind and writes no credential into the log, and
// the kubeconfig posts to the webhook Service's /audit.
func TestShippedAuditPolicy(t *testing.T) {
	dir := filepath.Join(deployDir, "audit")
	var out, errb bytes.Buffer
	if code := cli.Main([]string{"audit", "coverage", filepath.Join(dir, "audit-policy.yaml")}, nil, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), " 0 blind; 0 leaks") {
		t.Errorf("audit coverage: exit %d\n%s%s", code, out.String(), errb.String())
	}
	kc, err := os.ReadFile(filepath.Join(dir, "audit-webhook.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(kc), "server: https://palisade.palisade.svc:443/audit") {
		t.Errorf("the kubeconfig does not post to the Service's /audit:\n%s", kc)
	}
}
