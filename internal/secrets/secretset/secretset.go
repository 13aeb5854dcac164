// Package secretset writes a labelled set of fake credentials for tests and
// benchmarks: values of the right format and checksum (GitHub and npm CRC-32 tokens,
// PyPI macaroons, signed JWTs, real private keys, ...) and look-alikes that no scanner
// should report, placed in every location credentials hide in (container env and
// args, ConfigMaps, Secrets, Helm values, .env, .npmrc, docker-compose, SOPS files,
// helm-secrets files, git history; SOPS-encrypted Secrets and SealedSecrets hold only
// look-alikes), with a label per value saying where it is and which rule must report
// it.
//
// Everything is generated from a seed at run time: the same seed gives the same
// files, and the source holds no string a secret scanner would report. No value was
// ever issued by a provider.
package secretset

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Locations of a value.
const (
	LocEnv              = "env"               // a container's env value
	LocArgs             = "args"              // a container's args (flags and scripts)
	LocConfigMapValue   = "configmap-value"   // a ConfigMap data value
	LocConfigMapFile    = "configmap-file"    // a line of a file held in a ConfigMap
	LocSecretData       = "secret-data"       // a Secret data value (base64)
	LocSecretStringData = "secret-stringdata" // a Secret stringData value
	LocValues           = "values"            // a standalone Helm values file
	LocDotenv           = "dotenv"            // a .env file
	LocNpmrc            = "npmrc"             // a .npmrc file
	LocCompose          = "compose"           // a docker-compose file
	LocSOPS             = "sops"              // a SOPS-encrypted file (unencrypted_suffix keys)
	LocHelmSecrets      = "helm-secrets"      // a chart's secrets.yaml left unencrypted
	LocSOPSSecret       = "sops-secret"       // a Secret manifest encrypted by SOPS (look-alikes only)
	LocSealedSecret     = "sealed-secret"     // a SealedSecret's encrypted data (look-alikes only)
	LocHistory          = "history"           // a file in a past commit
)

// Label says where one generated value is and what must report it.
type Label struct {
	// File is the path relative to the directory written, with slashes.
	File string
	// Line is the first line of the value's entry (its key's line); 0 for a finding
	// about the whole file.
	Line int
	// Span is how many more lines the entry takes (a multi-line value).
	Span int
	// Anchor is the line of the key holding the file a line-in-a-file value is in
	// (application.properties: | in a ConfigMap), 0 otherwise: a scanner that reports
	// the key of a file-like value is right to.
	Anchor int
	// Rule is the rule ID that must report the value, "" for a look-alike that must
	// not be reported.
	Rule string
	// Format names the kind of value (github-ghp, pem-ec, placeholder-var, ...).
	Format   string
	Location string
	// Commit is the hash of the commit that added the value (WriteHistory only).
	Commit string
}

// Labels are the labels of one generated set.
type Labels []Label

// Positive reports whether the label is a credential that must be reported.
func (l Label) Positive() bool { return l.Rule != "" }

// Covers reports whether a finding of file and line falls on the label.
func (l Label) Covers(file string, line int) bool {
	if file != l.File {
		return false
	}
	if l.Line == 0 {
		return true
	}
	return line >= l.Line && line <= l.Line+l.Span
}

// doc is a file being written with the labels of its lines.
type doc struct {
	path   string
	lines  []string
	labels Labels
}

// add appends lines; lbl (if not nil) labels the first of them and spans the rest.
func (d *doc) add(lbl *Label, lines ...string) {
	for _, l := range lines {
		d.lines = append(d.lines, strings.Split(l, "\n")...)
	}
	if lbl != nil {
		n := 0
		for _, l := range lines {
			n += strings.Count(l, "\n") + 1
		}
		lbl.File = d.path
		lbl.Line = len(d.lines) - n + 1
		lbl.Span = n - 1
		d.labels = append(d.labels, *lbl)
	}
}

func (d *doc) label(v value, loc string) *Label {
	return &Label{Rule: v.rule, Format: v.format, Location: loc}
}

func (d *doc) text() string { return strings.Join(d.lines, "\n") + "\n" }

// sq quotes s as a YAML single-quoted scalar.
func sq(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// block writes a YAML block scalar: key: | and the value indented.
func block(indent, key, s string) string {
	var b strings.Builder
	b.WriteString(indent + key + ": |")
	for _, l := range strings.Split(s, "\n") {
		b.WriteString("\n" + indent + "  " + l)
	}
	return b.String()
}

// entry writes key: value in YAML, as a block scalar when the value has lines.
func entry(indent, key, s string) string {
	if strings.Contains(s, "\n") {
		return block(indent, key, s)
	}
	return indent + key + ": " + sq(s)
}

func flagName(key string) string { return "--" + strings.ReplaceAll(strings.ToLower(key), "_", "-") }

func propName(key string) string { return strings.ReplaceAll(strings.ToLower(key), "_", ".") }

// Write generates the set from seed into dir (created if needed) and returns its
// labels, sorted by file and line.
func Write(dir string, seed uint64) (Labels, error) {
	g := newGen(seed)
	vals := g.catalogue()
	var keyed, single []value // values stored under a key; single-line ones
	var shell []value
	for _, v := range vals {
		if v.shell {
			shell = append(shell, v)
			continue
		}
		keyed = append(keyed, v)
		if !v.multiline() {
			single = append(single, v)
		}
	}
	docs := []*doc{
		envDoc(single),
		argsDoc(single, shell),
		configMapValuesDoc(keyed),
		configMapFilesDoc(keyed, shell),
		secretDoc("k8s/secret-data.yaml", LocSecretData, keyed),
		secretDoc("k8s/secret-stringdata.yaml", LocSecretStringData, keyed),
		valuesDoc(keyed),
		dotenvDoc(single),
		npmrcDoc(vals),
		composeDoc(single),
		sopsDoc(g, keyed),
		sopsSecretDoc(g, keyed),
		sealedSecretDoc(g, keyed),
	}
	docs = append(docs, helmSecretsDocs(keyed)...)
	var labels Labels
	for _, d := range docs {
		p := filepath.Join(dir, filepath.FromSlash(d.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(d.text()), 0o644); err != nil {
			return nil, err
		}
		labels = append(labels, d.labels...)
	}
	labels.sort()
	return labels, nil
}

func (ls Labels) sort() {
	sort.SliceStable(ls, func(i, j int) bool {
		if ls[i].File != ls[j].File {
			return ls[i].File < ls[j].File
		}
		return ls[i].Line < ls[j].Line
	})
}

func deploymentHead(name string) []string {
	return []string{
		"apiVersion: apps/v1",
		"kind: Deployment",
		"metadata:",
		"  name: " + name,
		"  namespace: shop",
		"spec:",
		"  selector:",
		"    matchLabels: {app: " + name + "}",
		"  template:",
		"    metadata:",
		"      labels: {app: " + name + "}",
		"    spec:",
		"      containers:",
	}
}

func envDoc(vals []value) *doc {
	d := &doc{path: "k8s/deployment-env.yaml"}
	d.add(nil, deploymentHead("api")...)
	d.add(nil, "      - name: api", "        image: registry.example.com/shop/api:1.4.2", "        env:")
	for _, v := range vals {
		d.add(nil, "        - name: "+v.key)
		d.add(d.label(v, LocEnv), "          value: "+sq(v.text))
	}
	return d
}

func argsDoc(vals, shell []value) *doc {
	d := &doc{path: "k8s/deployment-args.yaml"}
	d.add(nil, deploymentHead("worker")...)
	d.add(nil, "      - name: worker", "        image: registry.example.com/shop/worker:1.4.2", "        args:")
	for _, v := range vals {
		d.add(d.label(v, LocArgs), "        - "+sq(flagName(v.key)+"="+v.text))
	}
	for i, v := range shell {
		d.add(nil, fmt.Sprintf("      - name: job-%d", i), "        image: registry.example.com/shop/tools:2.0.1",
			"        command: [sh, -c]", "        args:")
		d.add(d.label(v, LocArgs), "        - "+sq(v.text))
	}
	return d
}

func configMapHead(name string) []string {
	return []string{"apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: " + name, "  namespace: shop", "data:"}
}

func configMapValuesDoc(vals []value) *doc {
	d := &doc{path: "k8s/configmap-values.yaml"}
	d.add(nil, configMapHead("api-settings")...)
	for _, v := range vals {
		d.add(d.label(v, LocConfigMapValue), entry("  ", v.key, v.text))
	}
	return d
}

// configMapFilesDoc holds files: an application.properties with every single-line
// value, a script per shell command, and one file per multi-line value.
func configMapFilesDoc(vals, shell []value) *doc {
	d := &doc{path: "k8s/configmap-files.yaml"}
	d.add(nil, configMapHead("api-files")...)
	d.add(nil, "  application.properties: |")
	anchor := len(d.lines)
	d.add(nil, "    server.port=8080", "    spring.application.name=shop-api")
	for _, v := range vals {
		if !v.multiline() {
			lbl := d.label(v, LocConfigMapFile)
			lbl.Anchor = anchor
			d.add(lbl, "    "+propName(v.key)+"="+v.text)
		}
	}
	// One script per command: a finding on a script's key then says which.
	for i, v := range shell {
		d.add(nil, fmt.Sprintf("  job-%d.sh: |", i))
		lbl := d.label(v, LocConfigMapFile)
		lbl.Anchor = len(d.lines)
		d.add(nil, "    #!/bin/sh", "    set -eu")
		d.add(lbl, "    "+v.text)
	}
	for _, v := range vals {
		if v.multiline() {
			name := strings.ToLower(strings.ReplaceAll(v.key, "_", "-"))
			if v.format == "gcp-service-account" {
				name += ".json"
			} else {
				name += ".pem"
			}
			d.add(d.label(v, LocConfigMapFile), block("  ", name, v.text))
		}
	}
	return d
}

func secretDoc(path, loc string, vals []value) *doc {
	d := &doc{path: path}
	field := "stringData:"
	if loc == LocSecretData {
		field = "data:"
	}
	d.add(nil, "apiVersion: v1", "kind: Secret", "metadata:", "  name: api-"+strings.TrimPrefix(loc, "secret-"), "  namespace: shop", "type: Opaque", field)
	for _, v := range vals {
		if v.rule == "PAL-515" || v.rule == "PAL-516" {
			// A password in a Secret is where it belongs: the keyword rules do not
			// read Secrets, and every plaintext Secret value is PAL-522/PAL-524's
			// (one finding per Secret, not per key), so the set leaves them out here.
			continue
		}
		if loc == LocSecretData {
			d.add(d.label(v, loc), "  "+v.key+": "+base64.StdEncoding.EncodeToString([]byte(v.text)))
		} else {
			d.add(d.label(v, loc), entry("  ", v.key, v.text))
		}
	}
	return d
}

// valuesDoc is a values file with no chart beside it, as kept for `helm install -f`.
func valuesDoc(vals []value) *doc {
	d := &doc{path: "helm/values-prod.yaml"}
	d.add(nil, "# production overrides for the shop chart", "replicaCount: 3", "image:",
		"  repository: registry.example.com/shop/api", "  tag: \"1.4.2\"", "config:")
	for _, v := range vals {
		d.add(d.label(v, LocValues), entry("  ", v.key, v.text))
	}
	return d
}

func dotenvDoc(vals []value) *doc {
	d := &doc{path: "app/.env"}
	d.add(nil, "# local settings", "APP_ENV=production", "PORT=8080")
	for _, v := range vals {
		t := v.text
		if strings.ContainsAny(t, " \"{};#$<>&*~!") {
			t = "'" + t + "'"
		}
		d.add(d.label(v, LocDotenv), v.key+"="+t)
	}
	return d
}

// npmrcDoc holds the registry tokens an .npmrc holds: npm's, GitHub Packages' and
// GitLab's, and a token left to the environment.
func npmrcDoc(vals []value) *doc {
	d := &doc{path: "app/.npmrc"}
	d.add(nil, "registry=https://registry.npmjs.org/", "@shop:registry=https://npm.pkg.github.com/", "always-auth=true")
	hosts := map[string]string{
		"npm-token":       "//registry.npmjs.org/",
		"github-ghp":      "//npm.pkg.github.com/",
		"gitlab-pat":      "//gitlab.example.com/api/v4/projects/42/packages/npm/",
		"placeholder-var": "//registry.example.org/",
	}
	for _, v := range vals {
		if h, ok := hosts[v.format]; ok {
			t := v.text
			if v.format == "placeholder-var" {
				t = "${NPM_TOKEN}"
			}
			d.add(d.label(v, LocNpmrc), h+":_authToken="+t)
		}
	}
	return d
}

func composeDoc(vals []value) *doc {
	d := &doc{path: "app/docker-compose.yml"}
	d.add(nil, "services:", "  api:", "    image: registry.example.com/shop/api:1.4.2", "    ports: [\"8080:8080\"]", "    environment:")
	for _, v := range vals {
		d.add(d.label(v, LocCompose), "      "+v.key+": "+sq(v.text))
	}
	return d
}

// sopsDoc is a values file encrypted by SOPS with unencrypted_suffix: every value is
// encrypted (look-alikes: ENC[...] is not plaintext) except the keys ending in
// _unencrypted, which hold single-line credentials in the clear.
func sopsDoc(g *gen, vals []value) *doc {
	d := &doc{path: "sops/secrets.enc.yaml"}
	d.add(nil, "config:")
	enc := value{format: "sops-encrypted"}
	for _, v := range vals {
		d.add(d.label(enc, LocSOPS), "  "+v.key+": "+g.encValue(len(v.text)))
		if !v.multiline() {
			lbl := d.label(v, LocSOPS)
			if v.rule != "" {
				lbl.Rule = "PAL-527"
			}
			d.add(lbl, "  "+strings.ToLower(v.key)+"_unencrypted: "+sq(v.text))
		}
	}
	d.add(nil, "sops:", "  kms: []", "  gcp_kms: []", "  azure_kv: []", "  hc_vault: []", "  age:",
		"  - recipient: age1"+g.str("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58))
	// The age stanza is armored like a PEM block but holds a wrapped data key.
	armor := "-----BEGIN AGE ENCRYPTED FILE-----\n" + base64.StdEncoding.EncodeToString(g.bytes(48)) + "\n" +
		base64.StdEncoding.EncodeToString(g.bytes(48)) + "\n-----END AGE ENCRYPTED FILE-----"
	d.add(d.label(value{format: "sops-age-stanza"}, LocSOPS), block("    ", "enc", armor))
	d.add(nil, "  lastmodified: \"2026-11-30T09:12:44Z\"",
		"  mac: "+g.encValue(32), "  pgp: []", "  unencrypted_suffix: _unencrypted", "  version: 3.9.1")
	return d
}

// sopsSecretDoc is a Secret manifest encrypted by SOPS (encrypted_regex on data and
// stringData): every value is ENC[...], nothing is plaintext.
func sopsSecretDoc(g *gen, vals []value) *doc {
	d := &doc{path: "k8s/secret-sops.yaml"}
	d.add(nil, "apiVersion: v1", "kind: Secret", "metadata:", "  name: api-encrypted", "  namespace: shop", "type: Opaque", "stringData:")
	enc := value{format: "sops-encrypted"}
	for _, v := range vals {
		d.add(d.label(enc, LocSOPSSecret), "  "+v.key+": "+g.encValue(len(v.text)))
	}
	d.add(nil, "sops:", "  kms: []", "  age:", "  - recipient: age1"+g.str("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58))
	armor := "-----BEGIN AGE ENCRYPTED FILE-----\n" + base64.StdEncoding.EncodeToString(g.bytes(48)) + "\n" +
		base64.StdEncoding.EncodeToString(g.bytes(48)) + "\n-----END AGE ENCRYPTED FILE-----"
	d.add(d.label(value{format: "sops-age-stanza"}, LocSOPSSecret), block("    ", "enc", armor))
	d.add(nil, "  lastmodified: \"2026-11-30T09:12:44Z\"", "  mac: "+g.encValue(32),
		"  encrypted_regex: ^(data|stringData)$", "  version: 3.9.1")
	return d
}

// sealedSecretDoc is a SealedSecret (Bitnami Sealed Secrets): its encryptedData
// values are RSA-OAEP-wrapped session keys and AES-GCM ciphertexts, base64 text as
// random-looking as any credential.
func sealedSecretDoc(g *gen, vals []value) *doc {
	d := &doc{path: "k8s/sealedsecret.yaml"}
	d.add(nil, "apiVersion: bitnami.com/v1alpha1", "kind: SealedSecret", "metadata:", "  name: api-sealed", "  namespace: shop",
		"spec:", "  encryptedData:")
	sealed := value{format: "sealed-data"}
	for _, v := range vals {
		// Version byte, 2-byte length, a 256-byte wrapped key, then the ciphertext.
		blob := append([]byte{0x01, 0x00}, g.bytes(256+len(v.text)+16)...)
		d.add(d.label(sealed, LocSealedSecret), "    "+v.key+": "+base64.StdEncoding.EncodeToString(blob))
	}
	d.add(nil, "  template:", "    metadata:", "      name: api-sealed", "      namespace: shop", "    type: Opaque")
	return d
}

// helmSecretsDocs is a chart whose secrets.yaml (the helm-secrets convention) was
// committed without encryption: each credential in it is reported by its format's
// rule, and the file by PAL-528.
func helmSecretsDocs(vals []value) []*doc {
	chart := &doc{path: "charts/shop/Chart.yaml"}
	chart.add(nil, "apiVersion: v2", "name: shop", "version: 0.3.0", "appVersion: \"1.4.2\"")
	values := &doc{path: "charts/shop/values.yaml"}
	values.add(nil, "replicaCount: 1", "image:", "  repository: registry.example.com/shop/api", "  tag: \"1.4.2\"")
	tmpl := &doc{path: "charts/shop/templates/deployment.yaml"}
	tmpl.add(nil, deploymentHead("{{ .Release.Name }}")...)
	tmpl.add(nil, "      - name: api", "        image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"",
		"        envFrom:", "        - secretRef: {name: \"{{ .Release.Name }}-secrets\"}")
	sec := &doc{path: "charts/shop/secrets.yaml"}
	sec.add(nil, "# decrypted by helm-secrets at install time")
	sec.labels = append(sec.labels, Label{File: sec.path, Rule: "PAL-528", Format: "helm-secrets-file", Location: LocHelmSecrets})
	sec.add(nil, "secrets:")
	for _, v := range vals {
		sec.add(sec.label(v, LocHelmSecrets), entry("  ", v.key, v.text))
	}
	return []*doc{chart, values, tmpl, sec}
}
