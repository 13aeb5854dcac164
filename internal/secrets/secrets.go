// Package secrets finds hardcoded credentials in strings: provider tokens with a
// known format (AWS, GitHub, GitLab, Slack, Stripe, Google Cloud and Google API keys,
// Azure, npm, PyPI, OpenAI, Anthropic, HashiCorp Vault, SendGrid, Shopify,
// DigitalOcean, Docker Hub, Hugging Face), private keys, JSON Web Tokens, passwords
// in URLs, registry credentials and the password flags of client programs in shell
// commands (mysqldump -pPASS, curl -u user:pass), and, under keys that name a
// credential, literal passwords and high-entropy values.
//
// It is pure: Detect looks at one key and its value and returns where secrets are,
// never the secrets themselves. A Match carries an offset and a length into the
// value and a masked form that shows at most the first four characters, and only
// for formats whose prefix is public (AKIA****, ghp_****); everything else is ****.
// Callers print Match.Masked and Match.Length, never the value.
//
// False positives are what makes such a scanner useless, so every detector requires
// the exact format of its token (and its checksum, for GitHub and npm tokens: see
// Base62CRC32) and rejects placeholders, references to a secret store (vault:,
// arn:aws:secretsmanager:, ref+...), file paths, booleans, numbers and the
// documentation examples providers publish. Placeholders are told from secrets by
// the shape of the whole value, not by one character: ${VAR}, $(VAR), $VAR,
// {{ .Values.x }}, <your-key>, %s, runs of x or * making up the value, changeme,
// words such as example or dummy where a word starts; a random password that
// starts with / or $ or contains < * ... is still a password. The keyword detectors
// additionally need a key that names a credential as its last word (DB_PASSWORD,
// apiKey, but not PASSWORD_FILE, secretName or tokenTTL) and a value above a length
// and entropy threshold (see Options).
//
// Cost: each detector first checks for a fixed substring (its prefix, or a
// credential word) and runs its regular expression only where that occurs, so
// values without any of them, the vast majority, cost a few substring searches.
// Every reader is linear in the length of the value (BenchmarkAdversarialInputs).
package secrets

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Match is one secret found in a value.
type Match struct {
	// Detector is the stable ID of the detector ("aws-access-key-id").
	Detector string
	// Kind says what was found ("AWS access key ID").
	Kind string
	// Offset and Length locate the secret in the scanned value (bytes).
	Offset, Length int
	// Line is the 1-based line of the value on which the secret starts.
	Line int
	// Masked is the secret as it may be shown: its public prefix, if its format has
	// one, then "****".
	Masked string
	// Key is the key the secret was found under: an assignment inside the value
	// ("db.password=...") or, when the value is a single token, the key given to
	// Detect. Empty when no key was involved.
	Key string
	// Note is a non-secret detail ("encrypted", "registry ghcr.io").
	Note string
	// Digest identifies the secret within this process (an HMAC-SHA256 of it under a
	// key drawn at random when the process starts), so that the same secret found in
	// two places (a commit and the working tree) is recognised as one. It is never
	// output: a digest of a short password could be tested against guesses.
	Digest [32]byte
}

// Describe renders the match for a message: kind, masked value and length.
func (m *Match) Describe() string {
	s := fmt.Sprintf("%s %s (%d characters)", m.Kind, m.Masked, m.Length)
	if m.Note != "" {
		s += ", " + m.Note
	}
	return s
}

// Generic tunes one of the keyword detectors, whose findings rest on judgement.
type Generic struct {
	// MinLength is the shortest value reported, in characters.
	MinLength int
	// MinEntropy is the lowest Shannon entropy of a value, in bits per character.
	MinEntropy float64
	// AllowValues are values that are never reported (each matches the whole value).
	AllowValues []*regexp.Regexp
	// IgnoreKeys are key names (shell patterns, case-insensitive) that never name a
	// credential for this detector.
	IgnoreKeys []string
}

// Options tunes the keyword detectors. The format detectors take no options: a
// string has the format of a GitHub token or it does not.
type Options struct {
	// Password applies to literal values under password-like and secret-like keys
	// (DB_PASSWORD, MINIO_SECRET_KEY), which people choose: demo passwords such as
	// "password123" are reported, so the entropy floor only rejects repetition.
	Password Generic
	// Token applies to values under token-like keys (API_TOKEN, apiKey, auth), which
	// machines generate: the value must be long and random-looking.
	Token Generic
}

// Default thresholds, documented with the rules that expose them.
const (
	DefaultPasswordMinLength  = 5
	DefaultPasswordMinEntropy = 2.0
	DefaultTokenMinLength     = 16
	DefaultTokenMinEntropy    = 3.0
)

// DefaultOptions are the thresholds used by Detect.
func DefaultOptions() Options {
	return Options{
		Password: Generic{MinLength: DefaultPasswordMinLength, MinEntropy: DefaultPasswordMinEntropy},
		Token:    Generic{MinLength: DefaultTokenMinLength, MinEntropy: DefaultTokenMinEntropy},
	}
}

// Scanner runs every detector with a set of options. It is safe for concurrent use.
type Scanner struct {
	opts Options
	// lax skips the checks that tell a token from a look-alike of its format (the
	// checksum of GitHub and npm tokens): Redact masks look-alikes too.
	lax bool
}

// New returns a scanner with the given options.
func New(opts Options) *Scanner { return &Scanner{opts: opts} }

var (
	defaultScanner = New(DefaultOptions())
	laxScanner     = &Scanner{opts: DefaultOptions(), lax: true}
)

// Detect finds secrets in value, found under key (an environment variable name, a
// ConfigMap key, an annotation; "" when there is none), with the default options.
func Detect(key, value string) []Match { return defaultScanner.Detect(key, value) }

// minScan is the shortest value any detector can report: nothing shorter is looked at.
const minScan = 4

// Detect finds secrets in value, found under key. Matches are ordered by offset; a
// secret found by a specific detector is not reported again by a generic one.
func (s *Scanner) Detect(key, value string) []Match {
	if len(value) < minScan {
		return nil
	}
	c := candidates{value: value}
	for i := range detectors {
		d := &detectors[i]
		if d.find == nil || !d.mayMatch(value) {
			continue
		}
		d.find(s, &c, d, key, value)
	}
	s.keyed(&c, key, value)
	return c.result()
}

// candidates collects matches before overlaps are resolved.
type candidates struct {
	value string
	list  []candidate
}

type candidate struct {
	d          *detector
	start, end int
	key, note  string
}

func (c *candidates) add(d *detector, start, end int, key, note string) {
	if start < 0 || end > len(c.value) || start >= end {
		return
	}
	c.list = append(c.list, candidate{d: d, start: start, end: end, key: key, note: note})
}

// result drops candidates inside a candidate of a more specific detector (a GitHub
// token under PASSWORD is a GitHub token, not also a password), inside a larger one
// of the same priority, and duplicates, then builds the matches.
func (c *candidates) result() []Match {
	if len(c.list) == 0 {
		return nil
	}
	// In this order, whatever can contain a candidate comes before it: it starts
	// earlier, or at the same place with a higher priority or a later end.
	sort.SliceStable(c.list, func(i, j int) bool {
		a, b := &c.list[i], &c.list[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if a.d.priority != b.d.priority {
			return a.d.priority > b.d.priority
		}
		return a.end > b.end
	})
	// maxEnd[p] is the furthest end of the candidates of priority p seen so far.
	var maxEnd [priorityContainer + 1]int
	var out []Match
	line, lineAt := 1, 0
	for i := range c.list {
		a := &c.list[i]
		covered := false
		for p := a.d.priority; p < len(maxEnd); p++ {
			if maxEnd[p] >= a.end {
				covered = true
				break
			}
		}
		maxEnd[a.d.priority] = max(maxEnd[a.d.priority], a.end)
		if covered {
			continue
		}
		secret := c.value[a.start:a.end]
		if len(secret) >= minScan && strings.Contains(a.note, secret) {
			a.note = "" // a note (a host name) must not repeat the secret
		}
		line += strings.Count(c.value[lineAt:a.start], "\n")
		lineAt = a.start
		out = append(out, Match{
			Digest:   digest(secret),
			Detector: a.d.id,
			Kind:     a.d.kind,
			Offset:   a.start,
			Length:   a.end - a.start,
			Line:     line,
			Masked:   mask(secret, a.d.showPrefix),
			Key:      a.key,
			Note:     a.note,
		})
	}
	return out
}

// digestKey is the process's key for Match.Digest.
var digestKey = func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("secrets: no randomness for the digest key: " + err.Error())
	}
	return k
}()

// digest is the HMAC-SHA256 of secret under the process's key.
func digest(secret string) (d [32]byte) {
	h := hmac.New(sha256.New, digestKey)
	h.Write([]byte(secret))
	h.Sum(d[:0])
	return d
}

// mask shows the first show characters of secret (a public prefix), then ****.
func mask(secret string, show int) string {
	if show > 4 {
		show = 4
	}
	if show > len(secret)-4 {
		// Never reveal most of a short secret.
		show = 0
	}
	return secret[:max(show, 0)] + "****"
}

// entropy returns the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// allowed reports whether value matches one of the allow patterns (whole value).
func allowed(patterns []*regexp.Regexp, value string) bool {
	for _, re := range patterns {
		if loc := re.FindStringIndex(value); loc != nil && loc[0] == 0 && loc[1] == len(value) {
			return true
		}
	}
	return false
}

// ignoredKey reports whether key matches one of the shell patterns, ignoring case.
func ignoredKey(patterns []string, key string) bool {
	if len(patterns) == 0 {
		return false
	}
	k := strings.ToLower(key)
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), k); ok {
			return true
		}
	}
	return false
}
