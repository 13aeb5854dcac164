package secrets

import "strings"

// Credentials on the command lines of shell scripts (a container's command or args
// running sh -c "...", a probe, an entrypoint in a ConfigMap): the password flags
// of client programs whose flag names no credential word, so that the keyword
// detectors cannot see them. Variables set before a command (PGPASSWORD=...,
// MYSQL_PWD=...) and --password=... are assignments, which keyed reads already.
//
//	mysql, mysqldump, mysqladmin, ... -pPASS       (attached: -p alone prompts)
//	curl -u user:pass, -uuser:pass, --user user:pass, --proxy-user, -U
//	sshpass -p PASS, -pPASS
//	redis-cli -a PASS, --pass PASS
//	htpasswd -b[...] [file] user PASS              (-nb: no file)
//
// A value that the shell expands ($VAR, ${VAR}, "$(cat /run/secrets/x)", `...`) is
// not a literal and is not reported; other commands' -p (ports) are not read.

// shellClients are the programs whose password flags are read, by family.
var shellClients = map[string]string{
	"mysql": "mysql", "mysqldump": "mysql", "mysqladmin": "mysql", "mysqlshow": "mysql",
	"mysqlcheck": "mysql", "mysqlimport": "mysql", "mysqlpump": "mysql", "mysqlslap": "mysql",
	"mariadb": "mysql", "mariadb-dump": "mysql", "mariadb-admin": "mysql", "mariadb-show": "mysql",
	"mariadb-check": "mysql", "mariadb-import": "mysql",
	"curl": "curl", "sshpass": "sshpass", "redis-cli": "redis-cli", "htpasswd": "htpasswd",
}

// shellNeedles find the client names (every name above contains one).
var shellNeedles = []string{"mysql", "mariadb", "curl", "sshpass", "redis-cli", "htpasswd"}

// Bounds of one command's argument list: a script is read in one pass, and no byte
// is read as an argument of two commands.
const (
	maxShellArgs  = 64
	maxShellBytes = 4096
)

// shellWord is one argument of a command: its span in the script (quotes included)
// and its text once unquoted.
type shellWord struct {
	start, end int
	text       string
	// expands is whether the shell would expand part of the word ($, `).
	expands bool
}

// shellCredentials adds the passwords given on the command lines of value.
func (s *Scanner) shellCredentials(c *candidates, value string) {
	if len(value) < 8 || !strings.Contains(value, " -") {
		return
	}
	for _, n := range shellNeedles {
		for i := 0; i < len(value); {
			j := strings.Index(value[i:], n)
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(n)
			if at > 0 && !strings.ContainsRune(" \t\n;&|(`'\"/", rune(value[at-1])) {
				continue
			}
			e := at
			for e < len(value) && (isLetter(value[e]) || isDigitByte(value[e]) || value[e] == '-') {
				e++
			}
			family := shellClients[value[at:e]]
			if family == "" || e >= len(value) || !isSpace(value[e]) {
				continue
			}
			words, end := shellWords(value, e)
			s.shellCommand(c, value, value[at:e], family, words)
			i = max(i, end)
		}
	}
}

// shellWords reads the arguments of a command that starts at offset from, up to a
// command separator (; & | newline, a closing parenthesis or backquote), and returns
// them with the offset where it stopped.
func shellWords(v string, from int) ([]shellWord, int) {
	var words []shellWord
	i := from
	limit := min(len(v), from+maxShellBytes)
	for i < limit && len(words) < maxShellArgs {
		for i < limit && (v[i] == ' ' || v[i] == '\t' || v[i] == '\\' && i+1 < limit && v[i+1] == '\n') {
			if v[i] == '\\' {
				i++
			}
			i++
		}
		if i >= limit || strings.IndexByte(";&|\n)`<>", v[i]) >= 0 {
			break
		}
		w := shellWord{start: i}
		var b strings.Builder
	word:
		for i < limit {
			switch ch := v[i]; {
			case ch == '\'':
				k := strings.IndexByte(v[i+1:limit], '\'')
				if k < 0 {
					return words, limit
				}
				b.WriteString(v[i+1 : i+1+k])
				i += k + 2
			case ch == '"':
				i++
				for i < limit && v[i] != '"' {
					if v[i] == '\\' && i+1 < limit {
						i++
					}
					if v[i] == '$' || v[i] == '`' {
						w.expands = true
					}
					b.WriteByte(v[i])
					i++
				}
				if i >= limit {
					return words, limit
				}
				i++
			case ch == '\\' && i+1 < limit:
				b.WriteByte(v[i+1])
				i += 2
			case ch == ' ' || ch == '\t' || strings.IndexByte(";&|\n)`<>", ch) >= 0:
				break word
			default:
				if ch == '$' {
					w.expands = true
				}
				b.WriteByte(ch)
				i++
			}
		}
		w.end, w.text = i, b.String()
		words = append(words, w)
	}
	return words, i
}

// shellCommand reads the password flags of one command.
func (s *Scanner) shellCommand(c *candidates, value, name, family string, words []shellWord) {
	// report adds the password of word w, whose text from offset skip on is the
	// password (after "-p" or "user:").
	report := func(w shellWord, skip int, flag string) {
		if w.expands || skip >= len(w.text) {
			return
		}
		pw := w.text[skip:]
		// Locate the password in the script: the word as written, less the part
		// before the password and one pair of quotes.
		raw := value[w.start:w.end]
		k := strings.LastIndex(raw, pw)
		if k < 0 {
			return
		}
		key := name + " " + flag
		if !s.generic(&s.opts.Password, key, pw) {
			return
		}
		c.add(detectorByID(Password), w.start+k, w.start+k+len(pw), key, "")
	}
	switch family {
	case "mysql":
		for _, w := range words {
			if len(w.text) > 2 && strings.HasPrefix(w.text, "-p") {
				report(w, 2, "-p")
			}
		}
	case "sshpass", "redis-cli":
		short := map[string]string{"sshpass": "-p", "redis-cli": "-a"}[family]
		for i, w := range words {
			switch {
			case w.text == short || family == "redis-cli" && w.text == "--pass":
				if i+1 < len(words) {
					report(words[i+1], 0, w.text)
				}
			case len(w.text) > 2 && strings.HasPrefix(w.text, short):
				report(w, 2, short)
			}
		}
	case "curl":
		for i, w := range words {
			t := w.text
			var user shellWord
			flag := ""
			switch {
			case t == "-u" || t == "-U" || t == "--user" || t == "--proxy-user":
				if i+1 < len(words) {
					user, flag = words[i+1], t
				}
			case strings.HasPrefix(t, "--user=") || strings.HasPrefix(t, "--proxy-user="):
				flag, _, _ = strings.Cut(t, "=")
				if k := strings.IndexByte(t[len(flag)+1:], ':'); k > 0 {
					report(w, len(flag)+1+k+1, flag)
				}
				continue
			case len(t) > 2 && (strings.HasPrefix(t, "-u") || strings.HasPrefix(t, "-U")) && !strings.HasPrefix(t, "--"):
				flag = t[:2]
				if k := strings.IndexByte(t, ':'); k > 2 {
					report(w, k+1, flag)
				}
				continue
			}
			if flag == "" {
				continue
			}
			if k := strings.IndexByte(user.text, ':'); k > 0 {
				report(user, k+1, flag)
			}
		}
	case "htpasswd":
		batch, noFile := false, false
		var positional []shellWord
		for i := 0; i < len(words); i++ {
			t := words[i].text
			switch {
			case t == "-C" || t == "-r":
				i++ // cost, rounds
			case len(t) > 1 && t[0] == '-' && t[1] != '-':
				batch = batch || strings.Contains(t, "b")
				noFile = noFile || strings.Contains(t, "n")
			default:
				positional = append(positional, words[i])
			}
		}
		want := 3
		if noFile {
			want = 2
		}
		if batch && len(positional) >= want {
			report(positional[want-1], 0, "-b")
		}
	}
}

// ArgMatch is a secret found in one argument of a command in exec form.
type ArgMatch struct {
	// Index is the argument's index in the list given to DetectArgs; Match.Offset
	// and Match.Length are into that argument.
	Index int
	Match
}

// DetectArgs finds the passwords that an argument list in exec form (a container's
// command followed by its args; no shell reads it) passes to the client program it
// runs: ["mysqldump", "-uroot", "-pS3cr3t", "shop"], ["/usr/bin/curl", "-u",
// "admin:S3cr3t", "http://es:9200"]. The program is the first argument (its base
// name). Kubernetes expands $(VAR) in command and args, so an argument with a $ in
// it is not a literal. Scripts (sh -c "...") are read by Detect on the script.
func (s *Scanner) DetectArgs(args []string) []ArgMatch {
	if len(args) < 2 || len(args) > maxShellArgs+1 {
		return nil
	}
	name := args[0][strings.LastIndexByte(args[0], '/')+1:]
	family := shellClients[name]
	if family == "" {
		return nil
	}
	// The arguments joined by newlines, each a word of its own.
	var b strings.Builder
	words := make([]shellWord, 0, len(args)-1)
	for _, a := range args[1:] {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		start := b.Len()
		b.WriteString(a)
		words = append(words, shellWord{start: start, end: b.Len(), text: a, expands: strings.ContainsAny(a, "$`")})
	}
	value := b.String()
	if len(value) > maxShellBytes {
		return nil
	}
	c := candidates{value: value}
	s.shellCommand(&c, value, name, family, words)
	var out []ArgMatch
	for _, m := range c.result() {
		for i, w := range words {
			if m.Offset >= w.start && m.Offset+m.Length <= w.end {
				m.Offset -= w.start
				m.Line = 1
				out = append(out, ArgMatch{Index: i + 1, Match: m})
				break
			}
		}
	}
	return out
}
