package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// vapFinding is a finding of the JSON report with its policy evidence.
type vapFinding struct {
	RuleID  string `json:"ruleID"`
	Message string `json:"message"`
	Object  struct {
		Kind string `json:"kind"`
	} `json:"object"`
	Policy *struct {
		Policy     string   `json:"policy"`
		Binding    string   `json:"binding"`
		Validation int      `json:"validation"`
		Param      string   `json:"param"`
		Actions    []string `json:"actions"`
		Reason     string   `json:"reason"`
		Denied     bool     `json:"denied"`
	} `json:"policy"`
}

func vapFindings(t *testing.T, out string) []vapFinding {
	t.Helper()
	var r struct {
		Findings []vapFinding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return r.Findings
}

// TestScanPolicy evaluates ValidatingAdmissionPolicies of --policy against scanned
// objects: one finding per failed validation, by action, worded as the API server
// words it, with the evidence; params selected by a paramRef selector; the
// authorizer library answered by the input's RBAC for the --as user.
func TestScanPolicy(t *testing.T) {
	r := run(t, nil, "scan", "@vap/objects.yaml", "--policy", "@vap/policies.yaml", "--include", "PAL-80*", "-o", "json", "--fail-on", "high")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (a Deny finding is high)\n%s%s", r.code, r.stdout, r.stderr)
	}
	var got []string
	for _, f := range vapFindings(t, r.stdout) {
		if f.Policy == nil {
			t.Errorf("%s: no policy evidence", f.RuleID)
			continue
		}
		got = append(got, f.RuleID+" "+f.Object.Kind+" "+f.Message)
	}
	want := []string{
		"PAL-800 Deployment ValidatingAdmissionPolicy 'creator-may-create' with binding 'creator-may-create' denied request: palisade:scan may not create Deployments in shop",
		"PAL-800 Deployment ValidatingAdmissionPolicy 'require-team' with binding 'require-team' denied request: every Deployment needs a team label",
		"PAL-802 Deployment Validation failed for ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit': at most 5 replicas",
		"PAL-801 Service Validation failed for ValidatingAdmissionPolicy 'no-load-balancers' with binding 'no-load-balancers': service type LoadBalancer is not allowed",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range vapFindings(t, r.stdout) {
		if f.Policy != nil && f.Policy.Policy == "replica-limit" {
			if f.Policy.Param != "shop/replica-limit" || f.Policy.Denied || !slices.Equal(f.Policy.Actions, []string{"Audit"}) || f.Policy.Validation != 0 {
				t.Errorf("replica-limit evidence: %+v", *f.Policy)
			}
		}
	}

	// alice may create Deployments in shop (the input's RoleBinding): the authorizer
	// policy holds for her.
	r = run(t, nil, "scan", "@vap/objects.yaml", "--policy", "@vap/policies.yaml", "--include", "PAL-800", "-o", "json", "--as", "alice")
	var denied []string
	for _, f := range vapFindings(t, r.stdout) {
		denied = append(denied, f.Policy.Policy)
	}
	if !slices.Equal(denied, []string{"require-team"}) {
		t.Errorf("--as alice: denied by %v, want [require-team]\n%s", denied, r.stderr)
	}

	// The text report names the policy and binding.
	r = run(t, nil, "scan", "@vap/objects.yaml", "--policy", "@vap/policies.yaml", "--include", "PAL-801")
	if !strings.Contains(r.stdout, "policy: no-load-balancers, binding no-load-balancers, validation 0 [Warn]") || r.code != 0 {
		t.Errorf("text report (exit %d):\n%s", r.code, r.stdout)
	}
}

// TestScanPolicyConfigurationError: a binding whose parameter is missing under
// parameterNotFoundAction Deny refuses every request its policy matches (PAL-803);
// a malformed binding is an input error naming its file and line (exit 3).
func TestScanPolicyConfigurationError(t *testing.T) {
	r := run(t, nil, "scan", "@vap/objects.yaml", "--policy", "@vap/missing-param.yaml", "--include", "PAL-80*", "-o", "json")
	fs := vapFindings(t, r.stdout)
	if r.code != 1 || len(fs) != 1 || fs[0].RuleID != "PAL-803" || !strings.Contains(fs[0].Message, "no params found") || fs[0].Policy.Validation != -1 {
		t.Errorf("exit %d, findings %+v\n%s", r.code, fs, r.stderr)
	}
	r = run(t, nil, "scan", "@vap/objects.yaml", "--policy", "@vap/policies.yaml", "--policy", "@vap/malformed.yaml", "-o", "json", "--include", "PAL-80*")
	rep := parseReport(t, r.stdout)
	if r.code != 3 || len(rep.InputErrors) != 1 || !strings.HasSuffix(rep.InputErrors[0].Location.File, "malformed.yaml") || rep.InputErrors[0].Location.Line != 1 {
		t.Errorf("exit %d, input errors %+v", r.code, rep.InputErrors)
	}
}

// TestScanWithoutPolicies: no policy anywhere, the rules check nothing and cost
// nothing.
func TestScanWithoutPolicies(t *testing.T) {
	r := run(t, nil, "scan", "@vap/objects.yaml", "--include", "PAL-80*", "-o", "json")
	if r.code != 0 || len(vapFindings(t, r.stdout)) != 0 {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
