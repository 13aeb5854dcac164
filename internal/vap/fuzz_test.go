package vap

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// FuzzBundleAdd feeds arbitrary YAML objects to Add, compiles what it accepts and
// evaluates a Deployment with it: no panic, whatever the policy says.
func FuzzBundleAdd(f *testing.F) {
	f.Add([]byte(policy("p", deploymentRules+"validations:\n- expression: object.spec.replicas < 3\n")), []byte(binding("b", "p", "[Deny]", "")))
	f.Add([]byte(policy("p", deploymentRules+"paramKind: {apiVersion: v1, kind: ConfigMap}\nmatchConditions:\n- {name: a, expression: 'params.data.x == \"1\"'}\nvariables:\n- {name: v, expression: 'object.metadata.name'}\nauditAnnotations:\n- {key: k, valueExpression: variables.v}\nvalidations:\n- expression: 'true'\n  messageExpression: variables.v\n")),
		[]byte(binding("b", "p", "[Warn, Audit]", "paramRef: {selector: {}, parameterNotFoundAction: Deny}\nmatchResources: {namespaceSelector: {matchLabels: {a: b}}}")))
	f.Add([]byte("apiVersion: admissionregistration.k8s.io/v1beta1\nkind: ValidatingAdmissionPolicy\n"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\ndata: {x: '1'}\n"))
	obj := docs(f, deployment("web", "default", 10, "a: b"))[0]
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var bundle Bundle
		for i, data := range [][]byte{a, b} {
			var m map[string]any
			if yaml.Unmarshal(data, &m) != nil || m == nil {
				continue
			}
			_ = bundle.Add(m, Source{File: "fuzz.yaml", Line: i + 1})
		}
		s, _ := Compile(bundle, Options{})
		_ = s.Problems()
		req, err := s.RequestFor(obj, "default", nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = s.Evaluate(ctx, req, defaultEnv)
	})
}

// FuzzEvaluate evaluates arbitrary objects against a policy set using every
// feature: no panic, and a decision or an error for each.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte(deployment("web", "default", 10, "")))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: prod, labels: {a: b}}\nspec: {containers: [{name: a, image: b}]}\n"))
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"))
	f.Add([]byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {env: prod}}\n"))
	all := "matchConstraints:\n  resourceRules:\n  - {apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*']}\n  namespaceSelector: {matchExpressions: [{key: env, operator: Exists}]}\n"
	s := compileYAML(f, strings.Join([]string{
		policy("p1", all+"variables:\n- {name: nm, expression: object.metadata.name}\nvalidations:\n- expression: variables.nm.size() < 10\n  messageExpression: \"'long name ' + variables.nm\"\n"),
		binding("b1", "p1", "[Deny]", ""),
		policy("p2", deploymentRules+"paramKind: {apiVersion: v1, kind: ConfigMap}\nvalidations:\n- expression: object.spec.replicas <= int(params.data.max)\n"),
		binding("b2", "p2", "[Warn, Audit]", "paramRef: {name: limits, parameterNotFoundAction: Deny}"),
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits, namespace: default}\ndata: {max: '3'}\n",
	}, "\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m map[string]any
		if yaml.Unmarshal(data, &m) != nil || m == nil {
			return
		}
		req, err := s.RequestFor(m, "default", nil)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d, err := s.Evaluate(ctx, req, defaultEnv)
		if err == nil && !d.Allowed && d.Message == "" {
			t.Fatalf("denied without a message: %+v", d)
		}
	})
}

// BenchmarkEvaluate evaluates one Deployment against 20 policies (each two
// validations, one with a messageExpression, one with a variable).
func BenchmarkEvaluate(b *testing.B) {
	var docsList []string
	for i := 0; i < 20; i++ {
		docsList = append(docsList,
			policy(fmt.Sprintf("p%02d", i), deploymentRules+`variables:
- name: containers
  expression: object.spec.template.spec.containers
validations:
- expression: variables.containers.all(c, c.image.startsWith('registry.example/'))
  messageExpression: "'image outside the registry'"
- expression: object.spec.replicas <= 100
`),
			binding(fmt.Sprintf("b%02d", i), fmt.Sprintf("p%02d", i), "[Deny]", ""))
	}
	s := compileYAML(b, strings.Join(docsList, "\n---\n"))
	req, err := s.RequestFor(docs(b, deployment("web", "default", 3, "app: web"))[0], "default", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d, err := s.Evaluate(context.Background(), req, defaultEnv)
		if err != nil || !d.Allowed || d.Matched != 20 {
			b.Fatalf("%+v %v", d, err)
		}
	}
}
