package secrets

import (
	"bytes"
	"encoding/base64"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// keyed runs the keyword detectors on the key and value given to Detect (when the
// value is a single token) and on every assignment inside the value: lines of
// .properties, .env, INI, TOML and YAML files, JSON members, shell assignments and
// command-line flags (--db-password=...), and the password flags of client programs
// in shell commands (mysqldump -pPASS, curl -u user:pass; see shellCredentials).
func (s *Scanner) keyed(c *candidates, key, value string) {
	if start, end := trimSpan(value, 0, len(value)); start < end && !hasSpace(value[start:end]) {
		s.pair(c, key, key, value, start, end)
	}
	assignments(value, func(k string, start, end int) {
		s.pair(c, k, k, value, start, end)
	})
	s.shellCredentials(c, value)
}

// pair checks one value (value[start:end]) under key. matchKey is what the match
// records as its key.
func (s *Scanner) pair(c *candidates, key, matchKey, value string, start, end int) {
	class := classifyKey(key)
	if class == notCredential {
		return
	}
	v := value[start:end]
	if len(v) < minScan {
		return
	}
	lower := strings.ToLower(key)
	switch {
	case strings.Contains(lower, "aws") || strings.Contains(strings.Map(keepAlnum, lower), "secretaccesskey"):
		if awsSecretShape(v) && !placeholder(v) {
			c.add(detectorByID(AWSSecretAccessKey), start, end, matchKey, "")
			return
		}
	case strings.Contains(lower, "azure") || strings.Contains(lower, "storage") || strings.Contains(lower, "account"):
		if azureValueRE.MatchString(v) && !placeholder(v) {
			c.add(detectorByID(AzureStorageKey), start, end, matchKey, "")
			return
		}
	}
	switch class {
	case passwordKey, secretKey:
		g := &s.opts.Password
		if !s.generic(g, key, v) || (class == secretKey && (nameLike(v) || strings.Contains(v, ","))) {
			return
		}
		id := Password
		if class == secretKey {
			id = SharedSecret
		}
		c.add(detectorByID(id), start, end, matchKey, "")
	case tokenKey:
		g := &s.opts.Token
		if !s.generic(g, key, v) || !tokenLike(v) || nameLike(v) || strings.Contains(v, ",") {
			return
		}
		if pw, ok := basicAuth(v); ok && (len(pw) < 3 || notLiteral(pw)) {
			return // user:${PASSWORD}, base64-encoded
		}
		c.add(detectorByID(GenericToken), start, end, matchKey, "")
	}
}

// basicAuth decodes a base64 "user:password" pair (HTTP basic and registry auth) and
// returns the password.
func basicAuth(v string) (string, bool) {
	if len(v)%4 != 0 {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !utf8.Valid(raw) {
		return "", false
	}
	user, pw, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || strings.ContainsAny(user, " \t\n") {
		return "", false
	}
	return pw, true
}

// generic applies the thresholds of a keyword detector.
func (s *Scanner) generic(g *Generic, key, v string) bool {
	return len(v) >= g.MinLength && !hasSpace(v) && !notLiteral(v) && entropy(v) >= g.MinEntropy &&
		!ignoredKey(g.IgnoreKeys, key) && !allowed(g.AllowValues, v) && !failsChecksum(v)
}

// trimSpan narrows value[start:end] by surrounding white space and one pair of quotes.
func trimSpan(value string, start, end int) (int, int) {
	for start < end && isSpace(value[start]) {
		start++
	}
	for end > start && isSpace(value[end-1]) {
		end--
	}
	if end-start >= 2 && (value[start] == '"' || value[start] == '\'') && value[end-1] == value[start] {
		start++
		end--
	}
	return start, end
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// assignments calls fn for every "key = value", "key: value", "key := value",
// "\"key\": \"value\"" and "--key value" in s whose key contains a credential word,
// with the span of the value.
func assignments(s string, fn func(key string, start, end int)) {
	// A short value is checked in place; a long one is lower-cased once and searched
	// with strings.Index, which is much faster per byte than the folding loop.
	if len(s) < 512 && !containsFoldAny(s, credentialStems) {
		return
	}
	buf := lowerBufs.Get().(*[]byte)
	defer lowerBufs.Put(buf)
	lower := appendLowerASCII((*buf)[:0], s)
	*buf = lower
	var hits []int
	for _, stem := range credentialStemBytes {
		for i := 0; ; {
			j := bytes.Index(lower[i:], stem)
			if j < 0 {
				break
			}
			hits = append(hits, i+j)
			i += j + len(stem)
		}
	}
	sort.Ints(hits)
	// Each byte is read as part of at most one key and one value, which keeps the
	// scan linear: a credential word inside a key already read, or inside the value of
	// one (password=password=... has one value, not n), starts nothing.
	sc := valueScanner{s: s, noEscapedQuoteFrom: len(s) + 1}
	lines := lineState{s: s, first: -1}
	next := -1
	for _, h := range hits {
		if h < next {
			continue
		}
		ks := h
		for ks > 0 && isKeyChar(s[ks-1]) {
			ks--
		}
		ke := h
		for ke < len(s) && isKeyChar(s[ke]) {
			ke++
		}
		next = ke
		if lines.commented(ks) {
			continue
		}
		start, end, read, ok := sc.valueAfter(ks, ke)
		next = max(next, read)
		if ok {
			fn(s[ks:ke], start, end)
		}
	}
}

// appendLowerASCII appends s to b with ASCII letters lower-cased only, so that byte
// offsets stay those of s (strings.ToLower replaces invalid UTF-8 with longer runes).
func appendLowerASCII(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		b = append(b, lowerASCII(s[i]))
	}
	return b
}

// lowerBufs recycles the lower-cased copies of large values.
var lowerBufs = sync.Pool{New: func() any { return new([]byte) }}

var credentialStemBytes = func() [][]byte {
	out := make([][]byte, len(credentialStems))
	for i, s := range credentialStems {
		out[i] = []byte(s)
	}
	return out
}()

// valueScanner reads the values of the assignments in s, in increasing order of key.
type valueScanner struct {
	s string
	// noEscapedQuoteFrom is an offset after which s holds no \" (len(s)+1 until a
	// search fails).
	noEscapedQuoteFrom int
}

// valueAfter reads the separator and the value that follow the key s[ks:ke]. read is
// the offset up to which it read s: no key starts before it.
func (sc *valueScanner) valueAfter(ks, ke int) (start, end, read int, ok bool) {
	s := sc.s
	j := ke
	// The closing quote of a quoted key: "key", 'key', \"key\".
	if ks > 0 && (s[ks-1] == '"' || s[ks-1] == '\'') {
		if j+1 < len(s) && s[j] == '\\' && s[j+1] == s[ks-1] {
			j += 2
		} else if j < len(s) && s[j] == s[ks-1] {
			j++
		} else {
			return 0, 0, j, false
		}
	}
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j >= len(s) {
		return 0, 0, j, false
	}
	switch {
	case s[j] == '=' && !(j+1 < len(s) && s[j+1] == '='):
		j++
	case s[j] == ':' && j+1 < len(s) && s[j+1] == '=':
		j += 2
	case s[j] == ':' && (j+1 == len(s) || s[j+1] == ' ' || s[j+1] == '\t' || s[j+1] == '"' || s[j+1] == '\'' || s[j+1] == '\\'):
		j++
	case j > ke && strings.HasPrefix(s[ks:], "--"):
		// --password value
	default:
		return 0, 0, ke, false
	}
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j >= len(s) {
		return 0, 0, j, false
	}
	switch q := s[j]; {
	case q == '"' || q == '\'':
		e := j + 1
		for e < len(s) && s[e] != q && s[e] != '\n' {
			if s[e] == '\\' && q == '"' {
				e++
			}
			e++
		}
		if e >= len(s) || s[e] != q {
			return 0, 0, min(e, len(s)), false
		}
		return j + 1, e, e + 1, e > j+1
	case q == '\\' && j+1 < len(s) && s[j+1] == '"':
		// An escaped JSON string inside a JSON string: \"value\".
		if j+2 >= sc.noEscapedQuoteFrom {
			return 0, 0, j + 2, false
		}
		e := strings.Index(s[j+2:], `\"`)
		if e < 0 {
			sc.noEscapedQuoteFrom = j + 2
		}
		if e <= 0 {
			return 0, 0, j + 2, false
		}
		return j + 2, j + 2 + e, j + 4 + e, true
	}
	e := j
	for e < len(s) && !isSpace(s[e]) && !strings.ContainsRune(",;&}])(\"'<`", rune(s[e])) {
		e++
	}
	if e < len(s) && s[e] == '(' {
		return 0, 0, e, false // a function call in code, not a literal
	}
	return j, e, e, e > j
}

// lineState answers, for offsets that never decrease, whether the line of s holding
// the offset is a comment before it (#, //, ; or <!-- at its start, or a # after
// white space), reading each byte of s once.
type lineState struct {
	s string
	// pos is the last offset asked about; start the start of its line, first the
	// offset of the first byte of that line that is not a blank (-1 until known).
	pos, start, first int
	// hash is whether " #" occurs on the line before pos.
	hash bool
	// space is whether white space follows first on the line before spaceAt.
	space   bool
	spaceAt int
}

func (l *lineState) commented(i int) bool {
	if k := strings.LastIndexByte(l.s[l.pos:i], '\n'); k >= 0 {
		l.start, l.first, l.hash, l.space, l.spaceAt = l.pos+k+1, -1, false, false, 0
		l.pos = l.start
	}
	if !l.hash {
		l.hash = strings.Contains(l.s[max(l.pos-1, l.start):i], " #")
	}
	l.pos = i
	if l.first < 0 {
		f := l.start
		for f < len(l.s) && (l.s[f] == ' ' || l.s[f] == '\t') {
			f++
		}
		l.first = f
	}
	if l.first < i {
		line := l.s[l.first:i]
		for _, p := range []string{"#", "//", ";", "<!--"} {
			if strings.HasPrefix(line, p) && !(p == "//" && l.npmrcScope(i)) {
				return true
			}
		}
	}
	return l.hash
}

// npmrcScope reports whether the line before offset i is the scope of an .npmrc
// setting, "//registry.example.org/path/:" before _authToken=..., _auth=... or
// _password=...: a line of the form //host/path/:key=value is an assignment, not a
// comment. The line must start with // and hold no white space up to "/:" just before
// i; the white space is tracked as the line is read, so each byte is read once.
func (l *lineState) npmrcScope(i int) bool {
	if i < l.first+4 || l.s[i-1] != ':' || l.s[i-2] != '/' {
		return false
	}
	if l.spaceAt < l.first {
		l.spaceAt = l.first
	}
	if l.spaceAt < i && !l.space {
		if strings.ContainsAny(l.s[l.spaceAt:i], " \t\r") {
			l.space = true
		}
		l.spaceAt = i
	}
	return !l.space
}
