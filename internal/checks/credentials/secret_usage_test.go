package credentials_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/scan"
)

// suPod is a Pod whose spec is body.
func suPod(body string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n" + body
}

// suSecret is a v1 Secret in namespace ns; rest follows the metadata (type, data...).
func suSecret(ns, name, rest string) string {
	return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n" + rest
}

// suB64 encodes s as Secret data.
func suB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestSecretEnv(t *testing.T) {
	r := []string{"PAL-521"}
	runCases(t, []ruleCase{
		{
			name: "secretKeyRef and envFrom in every container kind", rules: r,
			yaml: suPod(`  initContainers:
  - name: migrate
    image: flyway
    env:
    - name: DB_PASSWORD
      valueFrom:
        secretKeyRef: {name: db, key: init-password}
  containers:
  - name: app
    image: shop
    env:
    - name: PLAIN
      value: x
    - name: CONFIG
      valueFrom:
        configMapKeyRef: {name: cfg, key: c}
    - name: API_TOKEN
      valueFrom:
        secretKeyRef:
          name: api
          key: app-token
    envFrom:
    - configMapRef: {name: cfg}
    - prefix: DB_
      secretRef:
        name: db-all
  ephemeralContainers:
  - name: debug
    image: busybox
    envFrom:
    - secretRef: {name: debug-creds}
`),
			want: []string{
				"PAL-521 migrate spec.initContainers[0].env[0].valueFrom.secretKeyRef",
				"PAL-521 app spec.containers[0].env[2].valueFrom.secretKeyRef",
				"PAL-521 app spec.containers[0].envFrom[1].secretRef",
				"PAL-521 debug spec.ephemeralContainers[0].envFrom[0].secretRef",
			},
			lines: map[string]string{
				"spec.initContainers[0].env[0].valueFrom.secretKeyRef": "key: init-password",
				"spec.containers[0].env[2].valueFrom.secretKeyRef":     "name: api",
				"spec.containers[0].envFrom[1].secretRef":              "name: db-all",
				"spec.ephemeralContainers[0].envFrom[0].secretRef":     "name: debug-creds",
			},
		},
		{
			name: "CronJob", rules: r,
			yaml: `apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: shop}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: dump
            image: pg
            env:
            - {name: PGPASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
`,
			want:  []string{"PAL-521 dump spec.jobTemplate.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef"},
			lines: map[string]string{"spec.jobTemplate.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef": "PGPASSWORD"},
		},
		{
			name: "secret volume only", rules: r,
			yaml: suPod(`  containers:
  - name: app
    image: shop
    volumeMounts: [{name: s, mountPath: /etc/secret, readOnly: true}]
  volumes:
  - name: s
    secret: {secretName: db}
`),
		},
	})

	pod := suPod(`  containers:
  - name: app
    image: shop
    env:
    - {name: A, valueFrom: {secretKeyRef: {name: db, key: password}}}
    - {name: B, valueFrom: {secretKeyRef: {name: db, key: user}}}
    - {name: C, valueFrom: {secretKeyRef: {name: tls, key: key}}}
    envFrom:
    - secretRef: {name: legacy-env}
`)
	for name, tc := range map[string]struct {
		exempt []any
		want   int
	}{
		"no exemption":      {nil, 4},
		"one key":           {[]any{"db/user"}, 3},
		"a whole Secret":    {[]any{"db"}, 2},
		"pattern on names":  {[]any{"legacy-*", "t*"}, 2},
		"key pattern":       {[]any{"db/*"}, 2},
		"envFrom by key no": {[]any{"legacy-env/x"}, 4},
	} {
		var params map[string]map[string]any
		if tc.exempt != nil {
			params = map[string]map[string]any{"PAL-521": {"exemptSecrets": tc.exempt}}
		}
		got := findingsOf(t, pod, scan.Options{Config: paramsConfig(params)}, "PAL-521")
		if len(got) != tc.want {
			t.Errorf("%s: findings %v, want %d", name, keysOf(got), tc.want)
		}
	}
}

func TestSecretArgs(t *testing.T) {
	r := []string{"PAL-526"}
	c0 := "spec.containers[0]"
	runCases(t, []ruleCase{
		{
			name: "args, command, derived and escaped references", rules: r,
			yaml: suPod(`  containers:
  - name: redis
    image: redis
    command: ["redis-server", "--requirepass $(REDIS_PASSWORD)"]
    args:
    - --masterauth=$$(REDIS_PASSWORD)
    - --url=$(DB_URL)
    - --name=$(POD_NAME)
    - --both=$(REDIS_PASSWORD):$(DB_URL):$(REDIS_PASSWORD)
    - $(UNDEFINED)
    env:
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: REDIS_PASSWORD
      valueFrom: {secretKeyRef: {name: redis, key: password}}
    - name: DB_URL
      value: postgres://app:$(REDIS_PASSWORD)@db:5432/app
`),
			want: []string{
				"PAL-526 redis " + c0 + ".command[1]",
				"PAL-526 redis " + c0 + ".args[1]",
				"PAL-526 redis " + c0 + ".args[3]",
			},
			lines: map[string]string{
				c0 + ".command[1]": "redis-server",
				c0 + ".args[1]":    "--url=",
				c0 + ".args[3]":    "--both=",
			},
		},
		{
			name: "init and ephemeral containers", rules: r,
			yaml: suPod(`  initContainers:
  - name: init
    image: busybox
    args: ["login", "$(TOKEN)"]
    env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: t, key: token}}}]
  containers:
  - name: app
    image: shop
  ephemeralContainers:
  - name: debug
    image: busybox
    command: ["curl", "-H", "Authorization: $(TOKEN)"]
    env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: t, key: token}}}]
`),
			want: []string{
				"PAL-526 init spec.initContainers[0].args[1]",
				"PAL-526 debug spec.ephemeralContainers[0].command[2]",
			},
		},
		{
			name: "redefined with a plain value, or only from envFrom", rules: r,
			yaml: suPod(`  containers:
  - name: app
    image: shop
    args: ["--pw=$(PW)", "--other=$(FROM_ENVFROM)"]
    envFrom: [{secretRef: {name: s}}]
    env:
    - {name: PW, valueFrom: {secretKeyRef: {name: s, key: pw}}}
    - {name: PW, value: not-secret}
`),
		},
		{
			name: "a variable of another container", rules: r,
			yaml: suPod(`  containers:
  - name: a
    image: shop
    env: [{name: PW, valueFrom: {secretKeyRef: {name: s, key: pw}}}]
  - name: b
    image: shop
    args: ["--pw=$(PW)"]
`),
		},
	})
	got := findingsOf(t, suPod(`  containers:
  - name: app
    image: shop
    args: ["--pw=$(PW)"]
    env: [{name: PW, valueFrom: {secretKeyRef: {name: s, key: pw}}}]
`), scan.Options{}, "PAL-526")
	f := got["PAL-526 app "+c0+".args[0]"]
	if !strings.Contains(f.Message, `$(PW) (key "pw" of Secret "s")`) {
		t.Errorf("message %q does not name the variable and its Secret", f.Message)
	}
}
