package credentials

// Environments are separated so that what happens in one stays there: developers,
// test data, CI jobs and preview deployments reach development and staging, and a
// credential that also opens production turns any leak there (a debug dump, a
// developer laptop, a staging database copied around) into a production compromise.
// The same secret value in Secrets of a production and a development namespace is
// exactly that, and rotating it in one environment silently breaks the other.
//
// How it is found, without keeping secrets:
//   - the index holds, for every value of every v1 Secret in the input (data decoded
//     from base64, stringData as written), the SHA-256 of the value and where it
//     occurs (namespace, Secret, key); never the value itself. SOPS-encrypted Secrets
//     and ENC[...] values, invalid data values and empty values are left out;
//   - each Secret then hashes its own values again, skipping those too short to be a
//     secret (minLength), placeholders (PAL-522's placeholders parameter: a shared
//     "changeme" is noise, not a leak), public certificates and keys, and keys named
//     like user names, hosts or ports (ignoreKeys); equal hashes mean equal values, so
//     what is skipped on one side is skipped on both;
//   - a namespace's environment class comes from its name, split into segments on
//     '-', '_' and '.': "payments-prod" is prod, "product" is nothing. A class word may
//     span segments ("pre-prod"), and a longer match hides the shorter ones inside it,
//     so "shop-pre-prod" is staging, not prod. A namespace whose segments name two
//     classes ("prod-test") or none is not classified, and its Secrets neither report
//     nor are reported against: only different classes count, never two namespaces
//     of the same class.
// ConfigMaps are not compared: their values are configuration, and a secret in one is
// the credential detectors' concern.

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// indexSecretHashes names the index of Secret value hashes.
var indexSecretHashes = inventory.NewIndex("secret-value-hashes", []string{"Secret"}, buildSecretHashes)

var defaultSecretEnvironments = []string{
	"prod=prod,production,prd,live",
	"staging=staging,stage,stg,preprod,pre-prod,uat,qa",
	"dev=dev,development,test,sandbox",
}

var defaultSecretReuseIgnoreKeys = []string{
	"*user", "*username", "*user-name", "*user_name", "*login",
	"*host", "*hostname", "*port", "*database", "*dbname", "*db-name", "*db_name",
	"*region", "*namespace",
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-523", Title: "Secret value shared across environments", Severity: medium, Category: catSecretUse,
			Rationale: "The same secret value appears in Secrets of namespaces that belong to different environments (production and staging or development, by namespace name): whoever gets it from the weaker environment holds the stronger one's credential too, and rotating it in one breaks the other. " +
				"Values are compared by SHA-256 only; the index keeps no value. Values shorter than minLength, placeholders (PAL-522's placeholders parameter), public certificates and keys, keys named like user names, hosts or ports (ignoreKeys), SOPS-encrypted values and invalid data values are not compared. " +
				"A namespace is classified by its name's segments (split on '-', '_' and '.'), so payments-prod is prod and product is not; a namespace that names no class, or two, is not compared. Each key is reported in every environment where it occurs, naming the Secrets of the other environments.",
			Remediation: "Generate a separate value for each environment (a password, key or token per environment), rotate the shared one everywhere, and keep environments' secrets in separate stores or paths of the external secret manager.",
			References:  []string{refSecretUseGood, refSecretUse},
			Frameworks:  secretUseFrameworks(),
			Params: []rules.Param{
				{Name: "environments", Valid: validEnvClass,
					Description: "Environment classes, each class=word,word,...: a namespace whose name contains one of the words as whole segments (split on '-', '_' and '.', case-insensitive) belongs to the class.",
					Default:     defaultSecretEnvironments},
				{Name: "minLength", Syntax: rules.Integer,
					Description: "Shortest value, in bytes after trimming white space, that is compared.",
					Default:     "8"},
				{Name: "ignoreKeys", Syntax: rules.Glob,
					Description: "Keys (shell patterns, case-insensitive) whose values are identifiers rather than secrets (user names, hosts, ports, database names) and are not compared.",
					Default:     defaultSecretReuseIgnoreKeys},
			},
		},
		Kinds:  []string{"Secret"},
		Needs:  []inventory.AnyIndex{indexSecretHashes},
		Object: checkSecretReuse,
	})
}

// secretKeyLoc is where a value occurs.
type secretKeyLoc struct {
	namespace, name, key string
}

// secretHashes is the index value: SHA-256 of a value to where it occurs.
type secretHashes map[[sha256.Size]byte][]secretKeyLoc

func buildSecretHashes(inv *inventory.Inventory) secretHashes {
	idx := secretHashes{}
	for _, o := range inv.Objects {
		if !isCoreSecret(o) || sopsEncrypted(o) {
			continue
		}
		for _, v := range secretValues(o) {
			if v.encrypted || v.invalid || len(bytes.TrimSpace(v.value)) == 0 {
				continue
			}
			sum := sha256.Sum256(v.value)
			idx[sum] = append(idx[sum], secretKeyLoc{o.Ref.Namespace, o.Ref.Name, v.key})
		}
	}
	return idx
}

// envClass is one environment class and the words that name it, each split into
// segments.
type envClass struct {
	name  string
	words [][]string
}

// validEnvClass checks an item of environments: class=word,word,...
func validEnvClass(s string) error {
	name, words, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" || len(envNameSegments(words)) == 0 {
		return errors.New("want a class name, =, and words separated by commas (prod=prod,production)")
	}
	return nil
}

// parseEnvClasses reads the environments parameter; malformed entries are skipped.
func parseEnvClasses(specs []string) []envClass {
	var out []envClass
	for _, s := range specs {
		name, words, ok := strings.Cut(s, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			continue
		}
		c := envClass{name: name}
		for _, w := range strings.Split(words, ",") {
			if segs := envNameSegments(w); len(segs) > 0 {
				c.words = append(c.words, segs)
			}
		}
		out = append(out, c)
	}
	return out
}

// envNameSegments splits a name on '-', '_' and '.', lower-cased.
func envNameSegments(s string) []string {
	return strings.FieldsFunc(strings.ToLower(strings.TrimSpace(s)), func(r rune) bool {
		return r == '-' || r == '_' || r == '.'
	})
}

// classifyNamespace returns the environment class of a namespace, or "" when its name
// matches no class or more than one. A match spanning more segments hides the
// matches inside it.
func classifyNamespace(classes []envClass, ns string) string {
	segs := envNameSegments(ns)
	type match struct {
		class      string
		start, end int
	}
	var ms []match
	for _, c := range classes {
		for _, w := range c.words {
			for i := 0; i+len(w) <= len(segs); i++ {
				if envSegmentsEqual(segs[i:i+len(w)], w) {
					ms = append(ms, match{c.name, i, i + len(w)})
				}
			}
		}
	}
	class := ""
	for _, m := range ms {
		hidden := false
		for _, o := range ms {
			if o.end-o.start > m.end-m.start && o.start <= m.start && m.end <= o.end {
				hidden = true
				break
			}
		}
		switch {
		case hidden:
		case class == "":
			class = m.class
		case class != m.class:
			return ""
		}
	}
	return class
}

func envSegmentsEqual(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// keyMatchesAny reports whether a key matches one of the shell patterns, ignoring case.
func keyMatchesAny(patterns []string, s string) bool {
	s = strings.ToLower(s)
	for _, pt := range patterns {
		if ok, err := path.Match(strings.ToLower(pt), s); err == nil && ok {
			return true
		}
	}
	return false
}

func checkSecretReuse(p *rules.Pass, o *inventory.Object) {
	if !isCoreSecret(o) || sopsEncrypted(o) || p.Inventory == nil {
		return
	}
	classes := parseEnvClasses(p.Strings("environments"))
	own := classifyNamespace(classes, o.Ref.Namespace)
	if own == "" {
		return
	}
	idx := inventory.Get(p.Inventory, indexSecretHashes)
	minLen := p.Int("minLength", 8)
	placeholders := p.StringsOf(idPlaintextSecret, "placeholders")
	ignore := p.Strings("ignoreKeys")
	classOf := map[string]string{}
	for _, v := range secretValues(o) {
		if v.encrypted || v.invalid || len(bytes.TrimSpace(v.value)) < minLen ||
			keyMatchesAny(ignore, v.key) || secretPlaceholder(v.value, placeholders) || publicMaterial(v.value) {
			continue
		}
		sum := sha256.Sum256(v.value)
		seen := map[string]bool{}
		var others []string
		for _, loc := range idx[sum] {
			c, ok := classOf[loc.namespace]
			if !ok {
				c = classifyNamespace(classes, loc.namespace)
				classOf[loc.namespace] = c
			}
			if c == "" || c == own {
				continue
			}
			s := fmt.Sprintf("%s/%s key %q (%s)", loc.namespace, loc.name, loc.key, c)
			if !seen[s] {
				seen[s] = true
				others = append(others, s)
			}
		}
		if len(others) == 0 {
			continue
		}
		sort.Strings(others)
		more := ""
		if len(others) > 5 {
			more = fmt.Sprintf(" and %d more", len(others)-5)
			others = others[:5]
		}
		p.Report(v.path(), "", "the value of key %q of Secret %q in namespace %q (%s) is also the value of Secret %s%s",
			v.key, o.Ref.Name, o.Ref.Namespace, own, strings.Join(others, ", "), more)
	}
}
