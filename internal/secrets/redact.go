package secrets

import (
	"encoding/base64"
	"sort"
	"strings"
)

// Redacted replaces a secret in redacted text.
const Redacted = "****"

// minKnown is the shortest known value Redact replaces: shorter strings occur
// everywhere in ordinary text, and masking them would garble the message without
// protecting anything.
const minKnown = 3

// Redact masks every credential shape in text that is about to be shown to a user
// but that Palisade did not write: an error message from a library (a Helm render
// error, a kustomize build error), which may quote a manifest, a values file or
// the environment. It is more eager than Detect, because a message is no place for
// a secret of any strength:
//
//   - each known value (a literal of a kustomize secretGenerator, the data of a
//     Secret), and its base64 form, is replaced wherever it occurs (values shorter
//     than three characters are left alone);
//   - every match of the detectors is replaced by its masked form (ghp_****);
//   - the value of every assignment to a key that names a credential is replaced,
//     whatever its length or entropy: password=x, "token": "y", and the key:value
//     pairs of Go's map printing (map[password:hunter2]).
//
// Redact leaves the rest of the text as it is; bounding its length is the caller's
// business. Its cost is linear in the length of text (and of the known values).
func Redact(text string, known ...string) string {
	text = redactKnown(text, known)
	if len(text) < minScan {
		return text
	}
	text = redactMatches(text, laxScanner.Detect("", text))
	return redactAssignments(text)
}

// redactKnown replaces the known values and their base64 forms, longest first so that
// a value containing another is replaced whole.
func redactKnown(text string, known []string) string {
	var vs []string
	for _, k := range known {
		if len(k) >= minKnown {
			vs = append(vs, k, base64.StdEncoding.EncodeToString([]byte(k)))
		}
	}
	if len(vs) == 0 {
		return text
	}
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) > len(vs[j]) })
	for _, v := range vs {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	return text
}

// redactMatches replaces each match (ordered by offset, not overlapping) by its
// masked form.
func redactMatches(text string, ms []Match) string {
	if len(ms) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	at := 0
	for _, m := range ms {
		if m.Offset < at {
			continue
		}
		b.WriteString(text[at:m.Offset])
		b.WriteString(m.Masked)
		at = m.Offset + m.Length
	}
	b.WriteString(text[at:])
	return b.String()
}

// redactAssignments masks the value after every key that names a credential and a
// separator (=, :, := or =>, with or without spaces, the key quoted or not).
func redactAssignments(text string) string {
	if !containsFoldAny(text, credentialStems) {
		return text
	}
	type span struct{ start, end int }
	var spans []span
	last := 0
	for i := 0; i < len(text); i++ {
		if !isKeyChar(text[i]) || (i > 0 && isKeyChar(text[i-1])) {
			continue
		}
		// A key starts at i: read it and see whether it names a credential.
		ke := i
		for ke < len(text) && isKeyChar(text[ke]) {
			ke++
		}
		key := text[i:ke]
		if ke-i < 3 || !mayBeCredentialKey(key) || classifyKey(strings.TrimLeft(key, "-")) == notCredential {
			i = ke - 1
			continue
		}
		start, end, ok := redactValueAfter(text, i, ke)
		if !ok {
			i = ke - 1
			continue
		}
		if start >= last && text[start:end] != Redacted {
			spans = append(spans, span{start, end})
			last = end
		}
		// The value is read once: a key inside it (token:token:...) is part of it.
		i = max(end, ke) - 1
	}
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	at := 0
	for _, s := range spans {
		b.WriteString(text[at:s.start])
		b.WriteString(Redacted)
		at = s.end
	}
	b.WriteString(text[at:])
	return b.String()
}

// redactValueAfter finds the value assigned to the key text[ks:ke]: after an optional
// closing quote, spaces, a separator and spaces, a quoted string or a run of
// characters up to white space or punctuation that ends values in messages.
func redactValueAfter(text string, ks, ke int) (start, end int, ok bool) {
	j := ke
	if ks > 0 && (text[ks-1] == '"' || text[ks-1] == '\'') && j < len(text) && text[j] == text[ks-1] {
		j++
	} else if ks > 1 && text[ks-1] == '"' && text[ks-2] == '\\' && j+1 < len(text) && text[j] == '\\' && text[j+1] == '"' {
		j += 2
	}
	for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
		j++
	}
	switch {
	case strings.HasPrefix(text[j:], ":="), strings.HasPrefix(text[j:], "=>"):
		j += 2
	case j < len(text) && (text[j] == '=' || text[j] == ':'):
		if j+1 < len(text) && text[j] == '=' && text[j+1] == '=' {
			return 0, 0, false // a comparison
		}
		j++
	default:
		return 0, 0, false
	}
	for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
		j++
	}
	if j >= len(text) {
		return 0, 0, false
	}
	if q := text[j]; q == '"' || q == '\'' || q == '`' {
		e := j + 1
		for e < len(text) && text[e] != q && text[e] != '\n' {
			if text[e] == '\\' {
				e++
			}
			e++
		}
		e = min(e, len(text))
		return j + 1, e, e > j+1
	}
	if strings.HasPrefix(text[j:], `\"`) {
		e := strings.Index(text[j+2:], `\"`)
		if e < 0 {
			e = len(text) - j - 2
		}
		return j + 2, j + 2 + e, e > 0
	}
	e := j
	for e < len(text) && !isSpace(text[e]) && !strings.ContainsRune(",;)]}>&\"'`", rune(text[e])) {
		e++
	}
	return j, e, e > j
}
