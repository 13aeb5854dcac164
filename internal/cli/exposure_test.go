package cli

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/palisade-k8s/palisade/internal/rules"
)

// exposureRule is the rule whose findings carry the exposure of the image (PAL-130).
const exposureRule = "PAL-130"

// npmImage is a root image with one npm package installed under /app/node_modules.
func npmImage(t *testing.T, name, version string) v1.Image {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	body := []byte(`{"name": "` + name + `", "version": "` + version + `"}`)
	for _, h := range []*tar.Header{
		{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "app/node_modules/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "app/node_modules/" + name + "/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "app/node_modules/" + name + "/package.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(rootImage(t), layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// exposureDB imports two npm advisories with palisade db import: a critical one for
// lodash 4.17.4, a medium one for minimist 0.0.8.
func exposureDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mod := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for _, r := range []struct{ id, cve, pkg, fixed, cvss string }{
		{"GHSA-jf85-cpcp-j695", "CVE-2019-10744", "lodash", "4.17.12", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
		{"GHSA-vh95-rmgr-6w4m", "CVE-2020-7598", "minimist", "0.2.1", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L"},
	} {
		rec := map[string]any{
			"schema_version": "1.6.0", "id": r.id, "modified": mod, "aliases": []string{r.cve},
			"severity": []any{map[string]any{"type": "CVSS_V3", "score": r.cvss}},
			"affected": []any{map[string]any{
				"package": map[string]any{"ecosystem": "npm", "name": r.pkg},
				"ranges":  []any{map[string]any{"type": "SEMVER", "events": []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": r.fixed}}}},
			}},
		}
		data, _ := json.Marshal(rec)
		if err := os.WriteFile(filepath.Join(dir, r.id+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(t.TempDir(), "vulndb.db")
	if r := run(t, nil, "db", "import", dir, "--source", "ghsa", "--db", db); r.code != ExitOK {
		t.Fatalf("db import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return db
}

// exposureManifests: a CronJob that runs the batch image, isolated by a default-deny
// policy and with a token of an account without permissions (exposure 0), written
// before a privileged Deployment that runs the web image behind a LoadBalancer with
// a cluster-admin token (exposure 4 + 4 + 3).
func exposureManifests(t *testing.T, batchImage, webImage string) string {
	t.Helper()
	dir := t.TempDir()
	doc := `apiVersion: batch/v1
kind: CronJob
metadata: {name: batch, namespace: shop}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: batch}}
        spec:
          restartPolicy: Never
          containers: [{name: job, image: ` + batchImage + `}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {matchLabels: {app: batch}}, policyTypes: [Ingress]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: app, image: ` + webImage + `, securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: web-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}, {nonResourceURLs: ["*"], verbs: ["*"]}]
`
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// scan --images ranks the vulnerabilities of the images by what the cluster exposes
// of the workloads that run them: the web image's medium finding (a privileged
// Deployment behind a LoadBalancer with a cluster-admin token, exposure 11) comes
// before the batch image's critical one (an isolated CronJob, exposure 0), although
// the input names the batch image first; JSON carries each workload's exposure and
// the text report shows it under the image, a line per workload. (Needs the merged
// store, matcher and PAL-130.)
func TestScanImagesExposure(t *testing.T) {
	if !slicesContainsRule(exposureRule) {
		t.Skip(exposureRule + " is not in this build")
	}
	host, _, _ := testRegistry(t)
	webRef, batchRef := host+"/shop/web:1", host+"/shop/batch:1"
	pushImage(t, webRef, npmImage(t, "minimist", "0.0.8"))
	pushImage(t, batchRef, npmImage(t, "lodash", "4.17.4"))
	db := exposureDB(t)
	dir := exposureManifests(t, batchRef, webRef)
	args := []string{"scan", dir, "--images", "--insecure-registry", host, "--image-cache", t.TempDir(), "--db", db, "--fail-on", "none", "--include", exposureRule}
	r := run(t, nil, append(args, "-o", "json")...)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Findings []struct {
			Severity      string
			Vulnerability struct{ ID string }
			Exposure      *struct {
				Score     int
				Workloads []struct {
					Object         struct{ Kind, Name string }
					Network        string
					ServiceAccount string
					Identity, Host []string
					Score          int
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 2 {
		t.Fatalf("findings %+v\n%s", rep.Findings, r.stdout)
	}
	web, batch := rep.Findings[0], rep.Findings[1]
	if web.Vulnerability.ID != "CVE-2020-7598" || web.Severity != "medium" || batch.Vulnerability.ID != "CVE-2019-10744" || batch.Severity != "critical" {
		t.Errorf("order: %s %s, then %s %s; want the web image's first", web.Vulnerability.ID, web.Severity, batch.Vulnerability.ID, batch.Severity)
	}
	if e := web.Exposure; e == nil || e.Score != 11 || len(e.Workloads) != 1 || e.Workloads[0].Network != "internet" ||
		e.Workloads[0].ServiceAccount != "shop/web" || strings.Join(e.Workloads[0].Identity, ",") != "cluster-admin equivalent" ||
		strings.Join(e.Workloads[0].Host, ",") != "privileged container app" {
		t.Errorf("web exposure %+v", e)
	}
	if e := batch.Exposure; e == nil || e.Score != 0 || len(e.Workloads) != 1 || e.Workloads[0].Network != "none" || e.Workloads[0].Object.Kind != "CronJob" {
		t.Errorf("batch exposure %+v", e)
	}

	text := run(t, nil, args...)
	want := "image  " + webRef
	i := strings.Index(text.stdout, want)
	j := strings.Index(text.stdout, "image  "+batchRef)
	if i < 0 || j < i {
		t.Fatalf("text report: the web image should come first:\n%s", text.stdout)
	}
	for _, w := range []string{
		"  exposure 11 (1 workload):\n    11  Deployment/shop/web: internet (LoadBalancer Service shop/web); token of ServiceAccount shop/web: cluster-admin equivalent; host: privileged container app\n",
		"  exposure 0 (1 workload):\n     0  CronJob/shop/batch: none (NetworkPolicy shop/deny isolates its pods for ingress and allows nothing); token of ServiceAccount shop/default (no dangerous permission)\n",
	} {
		if !strings.Contains(text.stdout, w) {
			t.Errorf("text report lacks %q:\n%s", w, text.stdout)
		}
	}
}

func slicesContainsRule(id string) bool {
	for _, r := range rules.All() {
		if r.ID == id {
			return true
		}
	}
	return false
}
