package identity_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/scan"
)

// saDeployment is a Deployment in namespace team whose pod spec gets extra lines
// before the containers; containerExtra lines are added under the container.
func saDeployment(spec string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: team
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
` + spec + `      containers:
      - name: app
        image: nginx
`
}

func saObject(name, extra string) string {
	return "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: " + name + "\n  namespace: team\n" + extra + "---\n"
}

const tplSpec = "spec.template.spec."

func TestServiceAccountTokenAutomount(t *testing.T) {
	r := []string{"PAL-351"}
	auto := "PAL-351 - " + tplSpec + "automountServiceAccountToken"
	runCases(t, []ruleCase{
		{name: "unset everywhere", rules: r, yaml: saDeployment(""), want: []string{auto},
			lines: map[string]string{tplSpec + "automountServiceAccountToken": "      containers:"}},
		{name: "pod sets true", rules: r, yaml: saDeployment("      automountServiceAccountToken: true\n"), want: []string{auto},
			lines: map[string]string{tplSpec + "automountServiceAccountToken": "automountServiceAccountToken: true"}},
		{name: "pod sets false", rules: r, yaml: saDeployment("      automountServiceAccountToken: false\n")},
		{name: "ServiceAccount in the input disables it", rules: r,
			yaml: saObject("app", "automountServiceAccountToken: false\n") + saDeployment("      serviceAccountName: app\n")},
		{name: "ServiceAccount after the workload disables it", rules: r,
			yaml: saDeployment("      serviceAccountName: app\n") + "---\n" + saObject("app", "automountServiceAccountToken: false\n")},
		{name: "default ServiceAccount disables it", rules: r,
			yaml: saObject("default", "automountServiceAccountToken: false\n") + saDeployment("")},
		{name: "deprecated alias names the ServiceAccount", rules: r,
			yaml: saObject("app", "automountServiceAccountToken: false\n") + saDeployment("      serviceAccount: app\n")},
		{name: "another account disables it, not this one", rules: r,
			yaml: saObject("other", "automountServiceAccountToken: false\n") + saDeployment("      serviceAccountName: app\n"),
			want: []string{auto}},
		{name: "same name in another namespace does not count", rules: r,
			yaml: strings.Replace(saObject("app", "automountServiceAccountToken: false\n"), "namespace: team", "namespace: other", 1) +
				saDeployment("      serviceAccountName: app\n"),
			want: []string{auto}},
		{name: "pod true overrides ServiceAccount false", rules: r,
			yaml: saObject("app", "automountServiceAccountToken: false\n") +
				saDeployment("      serviceAccountName: app\n      automountServiceAccountToken: true\n"),
			want: []string{auto}},
		{name: "pod false overrides ServiceAccount true", rules: r,
			yaml: saObject("app", "automountServiceAccountToken: true\n") +
				saDeployment("      serviceAccountName: app\n      automountServiceAccountToken: false\n")},
		{name: "exempt label on the pod template", rules: r,
			yaml: strings.Replace(saDeployment(""), "labels: {app: d}}", "labels: {app: d, palisade.dev/needs-api-token: \"true\"}}", 1)},
		{name: "exempt label with another value", rules: r,
			yaml: strings.Replace(saDeployment(""), "labels: {app: d}}", "labels: {app: d, palisade.dev/needs-api-token: \"false\"}}", 1),
			want: []string{auto}},
		{name: "kube-system is exempt", rules: r, yaml: strings.Replace(saDeployment(""), "namespace: team", "namespace: kube-system", 1)},
		{name: "token path already mounted", rules: r, yaml: saDeployment("") +
			"        volumeMounts:\n        - {name: t, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}\n      volumes:\n      - {name: t, emptyDir: {}}\n"},
	})
}

func TestServiceAccountAutomountMessages(t *testing.T) {
	yaml := saObject("app", "automountServiceAccountToken: true\n") + saDeployment("      serviceAccountName: app\n")
	got := findingsOf(t, yaml, scan.Options{}, "PAL-351")
	f, ok := got["PAL-351 - "+tplSpec+"automountServiceAccountToken"]
	if !ok {
		t.Fatalf("findings %v", keysOf(got))
	}
	for _, part := range []string{`service account "app"`, `ServiceAccount "app" sets automountServiceAccountToken: true`} {
		if !strings.Contains(f.Message, part) {
			t.Errorf("message %q lacks %q", f.Message, part)
		}
	}
}

func TestServiceAccountAutomountParams(t *testing.T) {
	cfg, err := config.Parse([]byte(`rules:
  PAL-351: {params: {exemptLabels: ["team/api"], exemptNamespaces: ["ops-*"]}}
`), func(string) bool { return true }, rules.ParamsOf)
	if err != nil {
		t.Fatal(err)
	}
	base := saDeployment("")
	cases := map[string]struct {
		yaml string
		want int
	}{
		"no exemption":                {base, 1},
		"label key alone, any value":  {strings.Replace(base, "labels: {app: d}}", "labels: {app: d, team/api: x}}", 1), 0},
		"label on the workload":       {strings.Replace(base, "namespace: team\n", "namespace: team\n  labels: {team/api: \"\"}\n", 1), 0},
		"namespace pattern":           {strings.Replace(base, "namespace: team", "namespace: ops-eu", 1), 0},
		"default label not in config": {strings.Replace(base, "labels: {app: d}}", "labels: {app: d, palisade.dev/needs-api-token: \"true\"}}", 1), 1},
		"kube-system not in config":   {strings.Replace(base, "namespace: team", "namespace: kube-system", 1), 1},
	}
	for name, tc := range cases {
		if got := findingsOf(t, tc.yaml, scan.Options{Config: cfg}, "PAL-351"); len(got) != tc.want {
			t.Errorf("%s: findings %v, want %d", name, keysOf(got), tc.want)
		}
	}
}

func TestDefaultServiceAccountUse(t *testing.T) {
	r := []string{"PAL-352"}
	runCases(t, []ruleCase{
		{name: "no service account named", rules: r, yaml: saDeployment(""),
			want:  []string{"PAL-352 - " + tplSpec + "serviceAccountName"},
			lines: map[string]string{tplSpec + "serviceAccountName": "      containers:"}},
		{name: "serviceAccountName default", rules: r, yaml: saDeployment("      serviceAccountName: default\n"),
			want:  []string{"PAL-352 - " + tplSpec + "serviceAccountName"},
			lines: map[string]string{tplSpec + "serviceAccountName": "serviceAccountName: default"}},
		{name: "deprecated serviceAccount default", rules: r, yaml: saDeployment("      serviceAccount: default\n"),
			want: []string{"PAL-352 - " + tplSpec + "serviceAccount"}},
		{name: "own account", rules: r, yaml: saDeployment("      serviceAccountName: app\n")},
		{name: "own account through the deprecated alias", rules: r, yaml: saDeployment("      serviceAccount: app\n")},
		{name: "no token: pod disables automount", rules: r, yaml: saDeployment("      automountServiceAccountToken: false\n")},
		{name: "no token: default ServiceAccount disables automount", rules: r,
			yaml: saObject("default", "automountServiceAccountToken: false\n") + saDeployment("")},
		{name: "pod true overrides the default ServiceAccount", rules: r,
			yaml: saObject("default", "automountServiceAccountToken: false\n") + saDeployment("      automountServiceAccountToken: true\n"),
			want: []string{"PAL-352 - " + tplSpec + "serviceAccountName"}},
		{name: "projected token despite automount false", rules: r,
			yaml: saDeployment("      automountServiceAccountToken: false\n      volumes:\n      - name: tok\n        projected:\n          sources:\n          - serviceAccountToken: {path: token}\n"),
			want: []string{"PAL-352 - " + tplSpec + "serviceAccountName"}},
	})
}

func TestDefaultServiceAccountObject(t *testing.T) {
	r := []string{"PAL-353"}
	pod := saDeployment("      serviceAccountName: app\n")
	runCases(t, []ruleCase{
		{name: "default unset", rules: r, yaml: saObject("default", "") + pod,
			want:  []string{"PAL-353 - automountServiceAccountToken"},
			lines: map[string]string{"automountServiceAccountToken": "apiVersion: v1"}},
		{name: "default true", rules: r, yaml: saObject("default", "automountServiceAccountToken: true\n") + pod,
			want:  []string{"PAL-353 - automountServiceAccountToken"},
			lines: map[string]string{"automountServiceAccountToken": "automountServiceAccountToken: true"}},
		{name: "default false", rules: r, yaml: saObject("default", "automountServiceAccountToken: false\n") + pod},
		{name: "not the default account", rules: r, yaml: saObject("app", "") + pod},
	})
}

func TestDeprecatedServiceAccountField(t *testing.T) {
	r := []string{"PAL-354"}
	dep := "PAL-354 - " + tplSpec + "serviceAccount"
	runCases(t, []ruleCase{
		{name: "alias alone", rules: r, yaml: saDeployment("      serviceAccount: app\n"), want: []string{dep},
			lines: map[string]string{tplSpec + "serviceAccount": "serviceAccount: app"}},
		{name: "alias with a different serviceAccountName", rules: r,
			yaml: saDeployment("      serviceAccountName: app\n      serviceAccount: old\n"), want: []string{dep},
			lines: map[string]string{tplSpec + "serviceAccount": "serviceAccount: old"}},
		{name: "serviceAccountName only", rules: r, yaml: saDeployment("      serviceAccountName: app\n")},
	})
	got := findingsOf(t, saDeployment("      serviceAccountName: app\n      serviceAccount: old\n"), scan.Options{}, "PAL-354")
	if f := got[dep]; !strings.Contains(f.Message, `serviceAccountName "app" wins`) {
		t.Errorf("message %q does not say which field wins", f.Message)
	}
}

func TestMissingServiceAccount(t *testing.T) {
	r := []string{"PAL-355"}
	miss := "PAL-355 - " + tplSpec + "serviceAccountName"
	runCases(t, []ruleCase{
		{name: "missing where the namespace has accounts", rules: r,
			yaml: saObject("other", "") + saDeployment("      serviceAccountName: app\n"), want: []string{miss},
			lines: map[string]string{tplSpec + "serviceAccountName": "serviceAccountName: app"}},
		{name: "missing through the deprecated alias", rules: r,
			yaml: saObject("other", "") + saDeployment("      serviceAccount: app\n"),
			want: []string{"PAL-355 - " + tplSpec + "serviceAccount"}},
		{name: "present", rules: r, yaml: saObject("app", "") + saDeployment("      serviceAccountName: app\n")},
		{name: "present after the workload", rules: r, yaml: saDeployment("      serviceAccountName: app\n") + "---\n" + saObject("app", "")},
		{name: "no accounts of the namespace in the input", rules: r,
			yaml: strings.Replace(saObject("app", ""), "namespace: team", "namespace: other", 1) + saDeployment("      serviceAccountName: app\n")},
		{name: "default is never missing", rules: r, yaml: saObject("other", "") + saDeployment("      serviceAccountName: default\n")},
		{name: "unnamed is never missing", rules: r, yaml: saObject("other", "") + saDeployment("")},
	})
	got := findingsOf(t, saObject("other", "")+saDeployment("      serviceAccountName: app\n"), scan.Options{}, "PAL-355")
	if f := got[miss]; !strings.Contains(f.Message, `the input defines ServiceAccount "other" there`) {
		t.Errorf("message %q does not list the namespace's accounts", f.Message)
	}
}
