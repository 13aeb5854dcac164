package load

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// The line-based configuration formats: dotenv, INI (and .pypirc), .npmrc and Java
// .properties. Each parser turns a file into entries (section, key, value, line) and
// errors at lines; it never fails as a whole, so the entries it could read are still
// scanned. Values are strings, never interpreted further.

// configEntry is one assignment of a line-based configuration file.
type configEntry struct {
	section, key, value string
	line                int
}

// parseConfigFile parses a configuration file read whole (document.format).
func parseConfigFile(doc document, base finding.Location, opts *Options) ([]*inventory.Object, []finding.InputError) {
	data := bytes.TrimPrefix(doc.data, utf8BOM)
	switch doc.format {
	case formatTOML:
		return parseTOML(data, base, opts)
	case formatDotenv:
		entries, errs := parseDotenv(data)
		return flatResult(base, doc.format, entries, errs, opts)
	case formatINI, formatNpmrc:
		entries, errs := parseINI(data, doc.format == formatNpmrc)
		return flatResult(base, doc.format, entries, errs, opts)
	case formatProperties:
		return flatResult(base, doc.format, parseProperties(data), nil, opts)
	case formatDockerfile:
		return parseDockerfile(data, base, opts)
	}
	loc := base
	loc.Line = 1
	return nil, []finding.InputError{{Location: loc, Message: "unknown configuration format " + doc.format}}
}

// flatResult builds the object of a line-based file: keys map to strings (INI: keys
// in sections map to a mapping per section, keys before any section are at the top).
// A key given twice takes its last value, at the line of that value. SOPS metadata
// (dotenv: the sops_* keys; INI: the [sops] section) goes to Object.SOPS, not into
// the data.
func flatResult(base finding.Location, format string, entries []configEntry, errs []configError, opts *Options) ([]*inventory.Object, []finding.InputError) {
	var sops *inventory.SOPSInfo
	switch format {
	case formatDotenv:
		md := map[string]string{}
		for _, e := range entries {
			if k, ok := strings.CutPrefix(e.key, sopsPrefix); ok {
				md[k] = e.value
			}
		}
		if sops = sopsInfo(md); sops != nil {
			entries = slicesDelete(entries, func(e configEntry) bool { return strings.HasPrefix(e.key, sopsPrefix) })
		}
	case formatINI:
		md := map[string]string{}
		for _, e := range entries {
			if e.section == sopsKey {
				md[e.key] = e.value
			}
		}
		if sops = sopsInfo(md); sops != nil {
			entries = slicesDelete(entries, func(e configEntry) bool { return e.section == sopsKey })
		}
	}
	decode := decodeConfig(opts)
	if !decode {
		return configResult(base, format, nil, nil, sops, errs, false)
	}
	// The last assignment of a key wins.
	type id struct{ section, key string }
	last := make(map[id]int, len(entries))
	for i, e := range entries {
		last[id{e.section, e.key}] = i
	}
	lines := inventory.NewLines(len(last) + 1)
	data, _ := lines.Add(inventory.Root, "data", -1, 1)
	tree := make(map[string]any, len(last))
	sections := map[string]int32{}
	for i, e := range entries {
		if last[id{e.section, e.key}] != i {
			continue
		}
		m, parent := tree, data
		if e.section != "" {
			sec, ok := tree[e.section].(map[string]any)
			if !ok {
				sec = map[string]any{}
				tree[e.section] = sec
			}
			m = sec
			p, ok := sections[e.section]
			if !ok {
				p, _ = lines.Add(data, e.section, -1, e.line)
				sections[e.section] = p
			}
			parent = p
		}
		m[e.key] = e.value
		lines.Add(parent, e.key, -1, e.line)
	}
	return configResult(base, format, tree, lines, sops, errs, true)
}

func slicesDelete(es []configEntry, del func(configEntry) bool) []configEntry {
	out := es[:0]
	for _, e := range es {
		if !del(e) {
			out = append(out, e)
		}
	}
	return out
}

// normalizeBreaks turns CRLF into LF (a lone CR stays, as a blank).
func normalizeBreaks(data []byte) []byte {
	if bytes.IndexByte(data, '\r') < 0 {
		return data
	}
	return bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

// dotenvKeyByte reports whether c may appear in a dotenv variable name.
func dotenvKeyByte(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseDotenv reads a dotenv file: KEY=value lines, optionally after "export ";
// blank lines and # comments; values unquoted (up to a " #" comment, trimmed),
// single-quoted (literal) or double-quoted (with \n, \t, \r, \\, \", \$ escapes), and
// quoted values may span lines. A line that is not an assignment is an error at its
// line; so is a quote never closed (the rest of the file is then not read).
func parseDotenv(data []byte) ([]configEntry, []configError) {
	data = normalizeBreaks(data)
	var (
		entries []configEntry
		errs    []configError
	)
	line := 1
	i := 0
	// eol skips to the start of the next line.
	eol := func() {
		for i < len(data) && data[i] != '\n' {
			i++
		}
		if i < len(data) {
			i++
			line++
		}
	}
	for i < len(data) {
		start := line
		for i < len(data) && isBlank(data[i]) {
			i++
		}
		if i >= len(data) {
			break
		}
		if data[i] == '\n' || data[i] == '#' {
			eol()
			continue
		}
		if bytes.HasPrefix(data[i:], []byte("export")) && i+6 < len(data) && (data[i+6] == ' ' || data[i+6] == '\t') {
			i += 6
			for i < len(data) && isBlank(data[i]) {
				i++
			}
		}
		k := i
		for i < len(data) && dotenvKeyByte(data[i]) {
			i++
		}
		key := string(data[k:i])
		for i < len(data) && isBlank(data[i]) {
			i++
		}
		if key == "" || i >= len(data) || data[i] != '=' {
			errs = append(errs, configError{start, "not an assignment (KEY=value)"})
			eol()
			continue
		}
		i++ // '='
		for i < len(data) && isBlank(data[i]) {
			i++
		}
		var value string
		if i < len(data) && (data[i] == '"' || data[i] == '\'' || data[i] == '`') {
			q := data[i]
			i++
			var b strings.Builder
			closed := false
			for i < len(data) {
				c := data[i]
				if c == q {
					closed = true
					i++
					break
				}
				if c == '\n' {
					line++
				}
				if c == '\\' && q == '"' && i+1 < len(data) {
					i++
					switch e := data[i]; e {
					case 'n':
						b.WriteByte('\n')
					case 'r':
						b.WriteByte('\r')
					case 't':
						b.WriteByte('\t')
					case '\\', '"', '$', '`', '\'':
						b.WriteByte(e)
					case '\n':
						line++ // a escaped line break continues the value
					default:
						b.WriteByte('\\')
						b.WriteByte(e)
					}
					i++
					continue
				}
				b.WriteByte(c)
				i++
			}
			if !closed {
				errs = append(errs, configError{start, "quoted value never closed"})
				break
			}
			value = b.String()
			for i < len(data) && isBlank(data[i]) {
				i++
			}
			if i < len(data) && data[i] != '\n' && data[i] != '#' {
				errs = append(errs, configError{line, "text after a quoted value"})
				eol()
				continue
			}
		} else {
			v := i
			for i < len(data) && data[i] != '\n' {
				if data[i] == '#' && i > v && isBlank(data[i-1]) {
					break
				}
				i++
			}
			value = strings.TrimRight(string(data[v:i]), " \t\r\f\v")
		}
		entries = append(entries, configEntry{key: key, value: value, line: start})
		eol()
	}
	return entries, errs
}

// parseINI reads an INI file (and .pypirc) or, with npmrc, an .npmrc: [section]
// lines, key = value (INI also key: value), ; and # comment lines, and in INI
// continuation lines (indented lines after an assignment extend its value, as
// Python's configparser reads .pypirc). A value in matching quotes loses them. In an
// .npmrc the separator is "=" alone (keys hold colons: "@scope:registry",
// "//host/:_authToken"), and a line with no "=" sets its key to "true", as npm reads
// it. A line that is none of these is an error at its line.
func parseINI(data []byte, npmrc bool) ([]configEntry, []configError) {
	data = normalizeBreaks(data)
	var (
		entries []configEntry
		errs    []configError
		section string
		// cont is the entry that an indented line continues (-1: none).
		cont = -1
	)
	for n, raw := range bytes.Split(data, []byte{'\n'}) {
		line := n + 1
		indented := len(raw) > 0 && isBlank(raw[0])
		t := strings.TrimSpace(string(raw))
		if t == "" {
			cont = -1
			continue
		}
		if t[0] == ';' || t[0] == '#' {
			continue
		}
		if indented && cont >= 0 && !npmrc {
			e := &entries[cont]
			if e.value == "" {
				e.value = t
			} else {
				e.value += "\n" + t
			}
			continue
		}
		cont = -1
		if t[0] == '[' {
			end := strings.IndexByte(t, ']')
			if end < 0 {
				errs = append(errs, configError{line, "section header without ]"})
				continue
			}
			section = strings.TrimSpace(t[1:end])
			continue
		}
		sep := strings.IndexByte(t, '=')
		if !npmrc {
			if c := strings.IndexByte(t, ':'); c >= 0 && (sep < 0 || c < sep) {
				sep = c
			}
		}
		var key, value string
		switch {
		case sep > 0:
			key, value = strings.TrimSpace(t[:sep]), strings.TrimSpace(t[sep+1:])
		case sep < 0 && npmrc:
			key, value = t, "true"
		default:
			errs = append(errs, configError{line, "not an assignment (key = value) or a [section]"})
			continue
		}
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		entries = append(entries, configEntry{section: section, key: key, value: value, line: line})
		cont = len(entries) - 1
	}
	return entries, errs
}

// parseProperties reads a Java .properties file: # and ! comment lines; key and value
// separated by the first unescaped =, : or blank; lines ending in an odd number of
// backslashes continue on the next (its leading blanks dropped); \t \n \r \f \uXXXX
// escapes. Every line is something, so nothing is an error.
func parseProperties(data []byte) []configEntry {
	data = normalizeBreaks(data)
	lines := bytes.Split(data, []byte{'\n'})
	var entries []configEntry
	for n := 0; n < len(lines); n++ {
		start := n + 1
		t := bytes.TrimLeft(lines[n], " \t\f")
		if len(t) == 0 || t[0] == '#' || t[0] == '!' {
			continue
		}
		logical := append([]byte(nil), t...)
		for continues(logical) && n+1 < len(lines) {
			logical = logical[:len(logical)-1]
			n++
			logical = append(logical, bytes.TrimLeft(lines[n], " \t\f")...)
		}
		if continues(logical) {
			logical = logical[:len(logical)-1]
		}
		logical = bytes.TrimRight(logical, "\r")
		i := 0
		for i < len(logical) {
			c := logical[i]
			if c == '\\' {
				i += 2
				continue
			}
			if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
				break
			}
			i++
		}
		i = min(i, len(logical))
		key := logical[:i]
		j := i
		for j < len(logical) && (logical[j] == ' ' || logical[j] == '\t' || logical[j] == '\f') {
			j++
		}
		if j < len(logical) && (logical[j] == '=' || logical[j] == ':') {
			j++
		}
		rest := bytes.TrimLeft(logical[j:], " \t\f")
		entries = append(entries, configEntry{key: unescapeProperty(key), value: unescapeProperty(rest), line: start})
	}
	return entries
}

// continues reports whether a .properties line ends in an odd number of backslashes.
func continues(l []byte) bool {
	n := 0
	for i := len(l) - 1; i >= 0 && l[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func unescapeProperty(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	var s strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			s.WriteByte(c)
			continue
		}
		i++
		switch e := b[i]; e {
		case 't':
			s.WriteByte('\t')
		case 'n':
			s.WriteByte('\n')
		case 'r':
			s.WriteByte('\r')
		case 'f':
			s.WriteByte('\f')
		case 'u':
			if i+4 < len(b) {
				if r, err := strconv.ParseUint(string(b[i+1:i+5]), 16, 32); err == nil {
					s.WriteRune(rune(r))
					i += 4
					continue
				}
			}
			s.WriteByte('u')
		default:
			s.WriteByte(e)
		}
	}
	if !utf8.ValidString(s.String()) {
		return strings.ToValidUTF8(s.String(), "\uFFFD")
	}
	return s.String()
}
