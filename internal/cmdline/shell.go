package cmdline

import "strings"

// Word is one token of a shell script: a word after quote removal, or an operator
// (";", "&&", "|", a redirection, a newline) that ends a simple command.
type Word struct {
	Text string
	Op   bool
}

// Words splits a POSIX shell script into words and operators, the way sh reads a
// command before expanding it: blanks separate words; single quotes keep everything
// literally; double quotes keep everything but a backslash before $ ` " \ or a
// newline; a backslash outside quotes escapes the next character and a
// backslash-newline joins lines; # at the start of a word starts a comment.
// Expansions ($NAME, ${...}, $(...), `...`) are kept as written, unexpanded, each
// within its word. The IO number of a redirection ("2" in "2>&1") is not a word. An
// unterminated quote or substitution runs to the end of the script.
func Words(script string) []Word {
	var out []Word
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			out = append(out, Word{Text: cur.String()})
			cur.Reset()
			inWord = false
		}
	}
	op := func(s string) {
		flush()
		out = append(out, Word{Text: s, Op: true})
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			flush()
		case c == '\n':
			op("\n")
		case c == '#' && !inWord:
			for i+1 < len(script) && script[i+1] != '\n' {
				i++
			}
		case c == '\\':
			if i+1 < len(script) {
				i++
				if script[i] != '\n' {
					cur.WriteByte(script[i])
					inWord = true
				}
			}
		case c == '\'':
			inWord = true
			end := strings.IndexByte(script[i+1:], '\'')
			if end < 0 {
				cur.WriteString(script[i+1:])
				i = len(script)
				break
			}
			cur.WriteString(script[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(script) && script[i] != '"'; i++ {
				if script[i] == '\\' && i+1 < len(script) && strings.IndexByte("$`\"\\\n", script[i+1]) >= 0 {
					i++
					if script[i] == '\n' {
						continue
					}
				}
				cur.WriteByte(script[i])
			}
		case c == '$' && i+1 < len(script) && (script[i+1] == '(' || script[i+1] == '{') || c == '`':
			end := substitutionEnd(script, i)
			cur.WriteString(script[i:end])
			inWord = true
			i = end - 1
		case strings.IndexByte(";&|<>()", c) >= 0:
			if (c == '<' || c == '>') && inWord && allDigits(cur.String()) {
				cur.Reset()
				inWord = false
			}
			n := 1
			if i+1 < len(script) && (script[i+1] == c || c == '>' && script[i+1] == '&' || c == '<' && script[i+1] == '&') {
				n = 2
			}
			op(script[i : i+n])
			i += n - 1
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return out
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// substitutionEnd returns the index just past the substitution that starts at i:
// "${...}" or "$(...)" with nesting, or "`...`". An unterminated one runs to the end.
func substitutionEnd(script string, i int) int {
	if script[i] == '`' {
		if end := strings.IndexByte(script[i+1:], '`'); end >= 0 {
			return i + end + 2
		}
		return len(script)
	}
	open, closing := script[i+1], byte(')')
	if open == '{' {
		closing = '}'
	}
	depth := 0
	for j := i + 1; j < len(script); j++ {
		switch script[j] {
		case open:
			depth++
		case closing:
			depth--
			if depth == 0 {
				return j + 1
			}
		case '\\':
			j++
		case '\'':
			if end := strings.IndexByte(script[j+1:], '\''); end >= 0 {
				j += end + 1
			}
		}
	}
	return len(script)
}
