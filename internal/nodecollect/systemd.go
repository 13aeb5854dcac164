package nodecollect

// systemd units: when the kubelet is not running, its command line is rebuilt from
// the unit that starts it, the way systemd would: the unit file, then its drop-ins
// (NAME.service.d/*.conf of every unit directory, one per file name, the directory
// of highest priority winning, applied in file-name order); ExecStart= accumulates
// and an empty ExecStart= resets it; Environment= and EnvironmentFile= (a "-" prefix
// makes the file optional) give the variables, the files' values overriding
// Environment='s; the command line is split into words (quotes and C escapes), a
// word that is exactly $VAR is replaced by the variable's value split at
// whitespace (zero or more words), and ${VAR} anywhere in a word by the exact value.

import (
	"errors"
	"fmt"
	"strings"
)

// maxUnitSize bounds a unit file, drop-in or environment file.
const maxUnitSize = 1 << 20

// unitDirs are systemd's system unit directories, highest priority first.
var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

// unitSettings are the settings of a unit's [Service] section that rebuild the
// command line, in the order the unit and its drop-ins set them.
type unitSettings struct {
	execStart []string // the current list (after resets)
	env       []string // Environment= assignments, in order
	envFiles  []string // EnvironmentFile= values, "-" prefix kept
	// workingDir is WorkingDirectory= (the last).
	workingDir string
}

// parseUnit reads one unit file or drop-in into s, applying its [Service]
// settings in order. Errors name the line.
func parseUnit(name string, data []byte, s *unitSettings) error {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	section := ""
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(lines[i])
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		// A line ending in a backslash continues on the next (comment lines
		// within are skipped); the backslash becomes a space.
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			next := strings.TrimSpace(lines[i])
			if next != "" && (next[0] == '#' || next[0] == ';') {
				line = strings.TrimSuffix(line, `\`) + `\`
				continue
			}
			line = strings.TrimSuffix(line, `\`) + " " + next
		}
		line = strings.TrimSpace(strings.TrimSuffix(line, `\`))
		if line == "" {
			continue // a lone backslash
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				return fmt.Errorf("%s:%d: bad section header", name, lineNo)
			}
			section = line[1 : len(line)-1]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("%s:%d: not KEY=VALUE", name, lineNo)
		}
		if section != "Service" {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "ExecStart":
			if v == "" {
				s.execStart = nil
			} else {
				s.execStart = append(s.execStart, v)
			}
		case "Environment":
			if v == "" {
				s.env = nil
				continue
			}
			words, err := splitWords(v)
			if err != nil {
				return fmt.Errorf("%s:%d: Environment=: %w", name, lineNo, err)
			}
			for _, w := range words {
				if n, _, ok := strings.Cut(w, "="); ok && validEnvName(n) {
					s.env = append(s.env, w)
				}
			}
		case "WorkingDirectory":
			s.workingDir = v
		case "EnvironmentFile":
			if v == "" {
				s.envFiles = nil
			} else {
				s.envFiles = append(s.envFiles, v)
			}
		}
	}
	return nil
}

// validEnvName says whether n is a variable name systemd accepts.
func validEnvName(n string) bool {
	if n == "" || len(n) > 4096 {
		return false
	}
	for i, c := range n {
		if c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

var errUnbalanced = errors.New("unbalanced quotes")

// splitWords splits a value into words as systemd does: whitespace separates,
// single and double quotes group (within a word too), a backslash escapes the
// next character (C escapes \n, \t, \\ ...).
func splitWords(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			cur.WriteString(unescape(s[i]))
			inWord = true
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote = c
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errUnbalanced
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

func unescape(c byte) string {
	switch c {
	case 'n':
		return "\n"
	case 't':
		return "\t"
	case 'r':
		return "\r"
	case 'a':
		return "\a"
	case 'b':
		return "\b"
	case 'f':
		return "\f"
	case 'v':
		return "\v"
	case 's':
		return " "
	}
	return string(c)
}

// parseEnvFile reads an EnvironmentFile: KEY=VALUE lines (comments # and ;,
// optional "export ", single or double quotes, a trailing backslash continues),
// later assignments overriding earlier ones.
func parseEnvFile(data []byte, env map[string]string) {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + lines[i]
		}
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !validEnvName(k) {
			continue
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			q := v[0]
			v = v[1 : len(v)-1]
			if q == '"' {
				var b strings.Builder
				for j := 0; j < len(v); j++ {
					if v[j] == '\\' && j+1 < len(v) && strings.IndexByte("\"\\`$", v[j+1]) >= 0 {
						j++
					}
					b.WriteByte(v[j])
				}
				v = b.String()
			}
		}
		env[k] = v
	}
}

// expandExec turns an ExecStart= value into the argument vector systemd runs: the
// prefixes (@ - : + !) dropped, words split, variables expanded. It returns the
// executable's path and the arguments after it.
func expandExec(v string, env map[string]string) (string, []string, error) {
	at := false
	raw := true
	for len(v) > 0 && strings.IndexByte("@-:+!", v[0]) >= 0 {
		switch v[0] {
		case '@':
			at = true
		case ':':
			raw = false // ":" turns variable expansion off
		}
		v = v[1:]
	}
	words, err := splitWords(v)
	if err != nil {
		return "", nil, err
	}
	if len(words) == 0 {
		return "", nil, errors.New("empty command line")
	}
	exe := words[0]
	rest := words[1:]
	if at && len(rest) > 0 {
		rest = rest[1:] // "@": the second word is argv[0]
	}
	if !raw {
		return exe, rest, nil
	}
	var out []string
	for _, w := range rest {
		if name, ok := strings.CutPrefix(w, "$"); ok && !strings.HasPrefix(name, "{") && validEnvName(name) {
			out = append(out, strings.Fields(env[name])...)
			continue
		}
		out = append(out, expandBraces(w, env))
		if len(out) > maxArgs {
			return "", nil, fmt.Errorf("more than %d arguments", maxArgs)
		}
	}
	return exe, out, nil
}

// expandBraces replaces ${VAR} in a word with the variable's value ("" when unset)
// and $$ with $.
func expandBraces(w string, env map[string]string) string {
	if !strings.Contains(w, "$") {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != '$' || i+1 >= len(w) {
			b.WriteByte(w[i])
			continue
		}
		if w[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if w[i+1] == '{' {
			if end := strings.IndexByte(w[i+2:], '}'); end >= 0 {
				name := w[i+2 : i+2+end]
				if validEnvName(name) {
					b.WriteString(env[name])
					i += 2 + end
					continue
				}
			}
		}
		b.WriteByte(w[i])
	}
	return b.String()
}
