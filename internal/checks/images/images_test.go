package images_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// imageCase is a ruleCase scanned with rule parameters set through the configuration,
// with expected message fragments per finding.
type imageCase struct {
	ruleCase
	// params maps a rule ID to its parameters in .palisade.yaml.
	params map[string]map[string]any
	// msgs maps a finding key ("RULE container path") to text its message must contain.
	msgs map[string][]string
}

var imageRules = []string{"PAL-101", "PAL-102", "PAL-103", "PAL-104", "PAL-105", "PAL-106"}

func runImageCases(t *testing.T, cases []imageCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.rules) == 0 {
				t.Fatal("case names no rule under test")
			}
			res, err := scan.Run(scan.Options{
				Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(tc.yaml)},
				Config: paramsConfig(tc.params), FailOn: "none",
			})
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			checkInputErrors(t, res.Report.Errors, "")
			if res.Report.Summary.Workloads == 0 {
				t.Fatalf("the manifest has no workload")
			}
			for i := range res.Report.Findings {
				if f := &res.Report.Findings[i]; isFallback(f) {
					t.Errorf("fallback finding: %s: %s", f.RuleID, f.Message)
				}
			}
			got := matchFindings(t, res.Report.Findings, tc.rules, findingKey, tc.want)
			for k, frags := range tc.msgs {
				f := got[k]
				if f == nil {
					t.Errorf("no finding %s to check the message of", k)
					continue
				}
				for _, s := range frags {
					if !strings.Contains(f.Message, s) {
						t.Errorf("%s: message %q does not contain %q", k, f.Message, s)
					}
				}
			}
			checkLines(t, tc.yaml, got, tc.lines)
		})
	}
}

// imagePod is a Pod in namespace ns with one regular container per image; an image
// of "-" leaves the field out. policies, if given, set imagePullPolicy per container
// ("" leaves it unset).
func imagePod(ns string, images []string, policies ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: " + ns + "\nspec:\n  containers:\n")
	for i, img := range images {
		b.WriteString("  - name: c" + strconv.Itoa(i) + "\n")
		if img != "-" {
			b.WriteString("    image: \"" + img + "\"\n")
		}
		if i < len(policies) && policies[i] != "" {
			b.WriteString("    imagePullPolicy: " + policies[i] + "\n")
		}
	}
	return b.String()
}

func cImage(i int) string { return "spec.containers[" + strconv.Itoa(i) + "].image" }
func cPolicy(i int) string {
	return "spec.containers[" + strconv.Itoa(i) + "].imagePullPolicy"
}
func cName(i int) string { return "c" + strconv.Itoa(i) }

const (
	digestA = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	hex64   = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func TestImageInvalid(t *testing.T) {
	invalid := []string{
		"Nginx:1.25",                        // upper-case repository
		"nginx:1.0:2",                       // two tags
		"app@sha256:" + hex64[:32],          // digest of the wrong length for sha256
		"app@md5:" + hex64,                  // digest algorithm: valid grammar, unknown algorithm
		hex64,                               // a bare 64-hex identifier is not a name
		" nginx:1.25",                       // surrounding white space
		"<YOUR-CONTAINER>",                  // unrendered placeholder
		"registry:5000/:1.0",                // empty path component
		"nginx:" + strings.Repeat("a", 129), // tag longer than 128
	}
	var want []string
	for i := range invalid {
		want = append(want, "PAL-101 "+cName(i)+" "+cImage(i))
	}
	valid := []string{
		"nginx", "registry:5000/app", "localhost/app", "app@" + digestA, "app:1.2@" + digestA,
		"Registry.Example.com/team/app:1.0", "[::1]:5000/app:1", "a.b/c/d/e:1_2.3-x",
	}
	runImageCases(t, []imageCase{
		{ruleCase: ruleCase{
			name:  "invalid references are reported, and only by PAL-101",
			rules: imageRules,
			yaml:  imagePod("default", invalid),
			want:  want,
			lines: map[string]string{cImage(0): "Nginx:1.25"},
		}, msgs: map[string][]string{
			"PAL-101 c0 " + cImage(0): {`"Nginx:1.25"`, "lowercase"},
			"PAL-101 c2 " + cImage(2): {"digest length"},
			"PAL-101 c3 " + cImage(3): {"unsupported digest algorithm"},
		}},
		{ruleCase: ruleCase{
			name:  "valid references of every shape",
			rules: []string{"PAL-101"},
			yaml:  imagePod("default", valid),
		}},
		{ruleCase: ruleCase{
			name:  "empty and missing image in a Pod",
			rules: imageRules,
			yaml:  imagePod("default", []string{"", "-"}),
			want:  []string{"PAL-101 c0 " + cImage(0), "PAL-101 c1 " + cImage(1)},
			// A missing field resolves to the container's line.
			lines: map[string]string{cImage(1): "- name: c1"},
		}, msgs: map[string][]string{"PAL-101 c0 " + cImage(0): {"no image", "rejects the Pod"}}},
		{ruleCase: ruleCase{
			name:  "missing image in a Deployment template",
			rules: imageRules,
			yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    spec:
      containers:
      - name: app
`,
			want: []string{"PAL-101 app " + tplc0 + ".image"},
		}, msgs: map[string][]string{"PAL-101 app " + tplc0 + ".image": {"fills it in"}}},
		{ruleCase: ruleCase{
			name:  "init and ephemeral containers",
			rules: []string{"PAL-101"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
  - name: setup
    image: BusyBox
  containers:
  - name: app
    image: nginx:1.25
  ephemeralContainers:
  - name: debug
    image: "busybox::1"
`,
			want: []string{"PAL-101 setup spec.initContainers[0].image", "PAL-101 debug spec.ephemeralContainers[0].image"},
			lines: map[string]string{
				"spec.initContainers[0].image":      "image: BusyBox",
				"spec.ephemeralContainers[0].image": "busybox::1",
			},
		}},
	})
}

func TestImageTag(t *testing.T) {
	images := []string{
		"nginx",                               // 0 no tag
		"nginx:latest",                        // 1
		"registry:5000/app",                   // 2 a port is not a tag
		"localhost/app",                       // 3
		"localhost:5000/team/app:latest",      // 4
		"nginx:1.25",                          // 5
		"app@" + digestA,                      // 6
		"app:latest@" + digestA,               // 7 digest-pinned latest is immutable
		"registry:5000/app:1.0",               // 8
		"docker.io/library/nginx:1.25-alpine", // 9
		"nginx:Latest",                        // 10 tags are case-sensitive: not the latest tag
	}
	runImageCases(t, []imageCase{{
		ruleCase: ruleCase{
			name:  "tags",
			rules: []string{"PAL-102"},
			yaml:  imagePod("default", images),
			want: []string{
				"PAL-102 c0 " + cImage(0), "PAL-102 c1 " + cImage(1), "PAL-102 c2 " + cImage(2),
				"PAL-102 c3 " + cImage(3), "PAL-102 c4 " + cImage(4),
			},
			lines: map[string]string{cImage(2): `"registry:5000/app"`},
		},
		msgs: map[string][]string{
			"PAL-102 c0 " + cImage(0): {"no tag", "docker.io/library/nginx:latest"},
			"PAL-102 c1 " + cImage(1): {"latest"},
			"PAL-102 c2 " + cImage(2): {"no tag", "registry:5000/app:latest"},
		},
	}, {
		ruleCase: ruleCase{
			name:  "init and ephemeral containers",
			rules: []string{"PAL-102"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
  - name: setup
    image: busybox
  containers:
  - name: app
    image: nginx:1.25
  ephemeralContainers:
  - name: debug
    image: busybox:latest
`,
			want: []string{"PAL-102 setup spec.initContainers[0].image", "PAL-102 debug spec.ephemeralContainers[0].image"},
		},
	}})
}

func TestImageDigest(t *testing.T) {
	pod := func(ns string) string {
		return imagePod(ns, []string{"nginx:1.25", "app:1.2@" + digestA, "registry:5000/app@" + digestA, "nginx"})
	}
	runImageCases(t, []imageCase{
		{ruleCase: ruleCase{
			name:  "default: every namespace",
			rules: []string{"PAL-103"},
			yaml:  pod("dev"),
			want:  []string{"PAL-103 c0 " + cImage(0), "PAL-103 c3 " + cImage(3)},
			lines: map[string]string{cImage(0): "nginx:1.25"},
		}, msgs: map[string][]string{"PAL-103 c0 " + cImage(0): {`"nginx:1.25"`, "digest"}}},
		{ruleCase: ruleCase{
			name:  "namespace outside the configured globs",
			rules: []string{"PAL-103"},
			yaml:  pod("dev"),
		}, params: map[string]map[string]any{"PAL-103": {"namespaces": []any{"prod-*", "payments"}}}},
		{ruleCase: ruleCase{
			name:  "namespace matching a configured glob",
			rules: []string{"PAL-103"},
			yaml:  pod("prod-eu"),
			want:  []string{"PAL-103 c0 " + cImage(0), "PAL-103 c3 " + cImage(3)},
		}, params: map[string]map[string]any{"PAL-103": {"namespaces": []any{"prod-*", "payments"}}}},
		{ruleCase: ruleCase{
			name:  "init container in a CronJob",
			rules: []string{"PAL-103"},
			yaml: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: c
  namespace: ops
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
          - name: setup
            image: busybox:1.36
          containers:
          - name: app
            image: "app@` + digestA + `"
`,
			want: []string{"PAL-103 setup spec.jobTemplate.spec.template.spec.initContainers[0].image"},
		}},
	})
}

func TestImagePullPolicy(t *testing.T) {
	runImageCases(t, []imageCase{{
		ruleCase: ruleCase{
			name:  "effective pull policy",
			rules: []string{"PAL-104"},
			yaml: imagePod("default",
				[]string{"nginx:1.25", "nginx", "nginx:latest", "nginx:1.25", "registry:5000/app", "app@" + digestA,
					"app:1.2@" + digestA, "nginx:1.25", "nginx:1.25", "app:latest@" + digestA},
				"", "", "IfNotPresent", "Always", "", "IfNotPresent",
				"", "Never", "always", ""),
			want: []string{
				"PAL-104 c0 " + cPolicy(0), // tag 1.25 defaults to IfNotPresent
				"PAL-104 c2 " + cPolicy(2), // latest with IfNotPresent
				"PAL-104 c7 " + cPolicy(7), // Never
				"PAL-104 c8 " + cPolicy(8), // not a valid value
			},
			lines: map[string]string{
				cPolicy(0): "- name: c0",
				cPolicy(7): "imagePullPolicy: Never",
			},
		},
		msgs: map[string][]string{
			"PAL-104 c0 " + cPolicy(0): {"sets no imagePullPolicy", "defaults it to IfNotPresent", `"1.25"`},
			"PAL-104 c2 " + cPolicy(2): {"imagePullPolicy=IfNotPresent", `"nginx:latest"`},
			"PAL-104 c8 " + cPolicy(8): {`"always"`, "not a valid policy"},
		},
	}, {
		ruleCase: ruleCase{
			name:  "ephemeral container with a version tag",
			rules: []string{"PAL-104"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx:1.25
    imagePullPolicy: Always
  ephemeralContainers:
  - name: debug
    image: busybox:1.36
`,
			want: []string{"PAL-104 debug spec.ephemeralContainers[0].imagePullPolicy"},
		},
	}})
}

func TestImageAllowedRegistries(t *testing.T) {
	images := []string{
		"nginx:1",                                            // 0 docker.io/library/nginx
		"bitnami/nginx:1",                                    // 1 docker.io/bitnami/nginx
		"registry.example.com/team/app:1",                    // 2
		"registry.example.com/team-evil/app:1",               // 3 not the same component
		"registry.example.com/teamapp:1",                     // 4
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1", // 5 glob
		"registry:5000/app",                                  // 6 host with port
		"localhost/app:1",                                    // 7
		"index.docker.io/library/redis:7",                    // 8 normalises to docker.io/library/redis
		"Registry.Example.com/team/app:1",                    // 9 host names are case-insensitive
		"registry.example.com.evil.io/team/app:1",            // 10
		"registry.example.com/team",                          // 11 the prefix is a repository, not inside it: allowed
	}
	params := map[string]map[string]any{"PAL-105": {"allowedRegistries": []any{
		"index.docker.io/library", "registry.example.com/team/", "*.dkr.ecr.eu-west-1.amazonaws.com", "https://registry:5000/",
	}}}
	runImageCases(t, []imageCase{
		{ruleCase: ruleCase{
			name:  "inactive by default",
			rules: []string{"PAL-105"},
			yaml:  imagePod("default", images),
		}},
		{ruleCase: ruleCase{
			name:  "allow-list",
			rules: []string{"PAL-105"},
			yaml:  imagePod("default", images),
			want: []string{
				"PAL-105 c1 " + cImage(1), "PAL-105 c3 " + cImage(3), "PAL-105 c4 " + cImage(4),
				"PAL-105 c7 " + cImage(7), "PAL-105 c10 " + cImage(10),
			},
			lines: map[string]string{cImage(1): "bitnami/nginx:1"},
		}, params: params, msgs: map[string][]string{
			"PAL-105 c1 " + cImage(1): {`"bitnami/nginx:1"`, "docker.io/bitnami/nginx", "not from an allowed registry"},
		}},
		{ruleCase: ruleCase{
			name:  "official images only",
			rules: []string{"PAL-105"},
			yaml:  imagePod("default", []string{"nginx", "docker.io/nginx", "library/nginx", "nginxinc/nginx-unprivileged:1"}),
			want:  []string{"PAL-105 c3 " + cImage(3)},
		}, params: map[string]map[string]any{"PAL-105": {"allowedRegistries": []any{"docker.io/library"}}}},
	})
}

func TestImageDeprecatedRegistry(t *testing.T) {
	images := []string{
		"k8s.gcr.io/pause:3.1",                           // 0
		"registry.k8s.io/pause:3.9",                      // 1
		"k8s.gcr.io.example.com/pause:3.1",               // 2 another host
		"k8s.gcr.io/ingress-nginx/controller@" + digestA, // 3
		"gcr.io/google_containers/pause:3.1",             // 4
		"K8s.GCR.io/pause",                               // 5
	}
	runImageCases(t, []imageCase{
		{ruleCase: ruleCase{
			name:  "k8s.gcr.io by default",
			rules: []string{"PAL-106"},
			yaml:  imagePod("default", images),
			want:  []string{"PAL-106 c0 " + cImage(0), "PAL-106 c3 " + cImage(3), "PAL-106 c5 " + cImage(5)},
			lines: map[string]string{cImage(0): "k8s.gcr.io/pause:3.1\""},
		}, msgs: map[string][]string{
			"PAL-106 c0 " + cImage(0): {"deprecated registry k8s.gcr.io", "use registry.k8s.io/pause:3.1"},
			"PAL-106 c3 " + cImage(3): {"use registry.k8s.io/ingress-nginx/controller@" + digestA},
			"PAL-106 c5 " + cImage(5): {"use registry.k8s.io/pause"},
		}},
		{ruleCase: ruleCase{
			name:  "configured list with a replacement",
			rules: []string{"PAL-106"},
			yaml:  imagePod("default", images),
			want:  []string{"PAL-106 c4 " + cImage(4)},
		}, params: map[string]map[string]any{"PAL-106": {"registries": []any{"gcr.io/google_containers=registry.k8s.io"}}},
			msgs: map[string][]string{"PAL-106 c4 " + cImage(4): {"deprecated registry gcr.io/google_containers", "use registry.k8s.io/pause:3.1"}}},
		{ruleCase: ruleCase{
			name:  "configured list without a replacement",
			rules: []string{"PAL-106"},
			yaml:  imagePod("default", []string{"quay.io/old/app:1", "quay.io/new/app:1"}),
			want:  []string{"PAL-106 c0 " + cImage(0)},
		}, params: map[string]map[string]any{"PAL-106": {"registries": []any{"quay.io/old"}}},
			msgs: map[string][]string{"PAL-106 c0 " + cImage(0): {"deprecated registry quay.io/old"}}},
	})
}

func TestImageIstioAutoPlaceholder(t *testing.T) {
	gateway := func(meta string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: gw
spec:
  template:
    metadata:
` + meta + `
    spec:
      containers:
      - name: istio-proxy
        image: auto
`
	}
	runImageCases(t, []imageCase{
		{ruleCase: ruleCase{
			name:  "injected by label",
			rules: imageRules,
			yaml:  gateway("      labels:\n        sidecar.istio.io/inject: \"true\""),
		}},
		{ruleCase: ruleCase{
			name:  "injected by annotation",
			rules: imageRules,
			yaml:  gateway("      annotations:\n        sidecar.istio.io/inject: \"true\""),
		}},
		{ruleCase: ruleCase{
			name:  "not marked for injection: auto is docker.io/library/auto",
			rules: []string{"PAL-102", "PAL-103"},
			yaml:  gateway("      labels:\n        sidecar.istio.io/inject: \"false\""),
			want:  []string{"PAL-102 istio-proxy " + tplc0 + ".image", "PAL-103 istio-proxy " + tplc0 + ".image"},
		}},
	})
}
