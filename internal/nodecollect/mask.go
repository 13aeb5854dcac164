package nodecollect

// Masking: a kubelet configuration file may carry credentials in
// staticPodURLHeader (the HTTP headers the kubelet sends with --manifest-url). The
// facts keep the file's text, so the values of that field are replaced by
// "<masked>" in place: the YAML is parsed into nodes for their positions, each
// value's text on its line is overwritten, and every other line (and so every
// line number a finding cites) stays as it was.

import (
	"bytes"
	"errors"
	"io"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

const maskedText = "<masked>"

// maskStaticPodURLHeader returns content with the values of staticPodURLHeader
// masked. A document that cannot be parsed but names the field is refused (its
// values cannot be located): the error says so without quoting the file.
func maskStaticPodURLHeader(content []byte) ([]byte, error) {
	if !bytes.Contains(bytes.ToLower(content), []byte("staticpodurlheader")) {
		return content, nil
	}
	lines := strings.Split(string(content), "\n")
	dec := yaml.NewDecoder(bytes.NewReader(content))
	var spans []span
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errors.New("the file names staticPodURLHeader but is not valid YAML, so its values cannot be masked; its content is left out")
		}
		collectHeaderValues(&doc, &spans, map[*yaml.Node]bool{}, map[*yaml.Node]bool{}, 0)
	}
	if len(spans) == 0 {
		return content, nil
	}
	// From the end, so that a replacement does not move the columns of the
	// scalars still to mask on its line.
	sort.Slice(spans, func(i, j int) bool {
		a, b := spans[i].n, spans[j].n
		if a.Line != b.Line {
			return a.Line > b.Line
		}
		return a.Column > b.Column
	})
	for i, s := range spans {
		if i > 0 && spans[i-1].n == s.n {
			continue // an anchor's scalar reached twice
		}
		maskSpan(lines, s)
	}
	out := []byte(strings.Join(lines, "\n"))
	// The masked text must still be the same YAML shape; when the masking could
	// not keep it so, the content is left out rather than kept half masked.
	dec = yaml.NewDecoder(bytes.NewReader(out))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errors.New("the values of staticPodURLHeader could not be masked in place; the file's content is left out")
		}
	}
	return out, nil
}

// span is a scalar to mask.
type span struct {
	n *yaml.Node
}

// collectHeaderValues finds the mapping keys named staticPodURLHeader (in any
// case, as the kubelet's lenient decoding accepts) and collects every scalar of
// their values except the header names.
func collectHeaderValues(n *yaml.Node, out *[]span, seen, masked map[*yaml.Node]bool, depth int) {
	if n == nil || depth > 64 || seen[n] {
		return
	}
	seen[n] = true
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			collectHeaderValues(c, out, seen, masked, depth+1)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if strings.EqualFold(k.Value, "staticPodURLHeader") {
				headerScalars(v, out, masked, 0, true)
				continue
			}
			collectHeaderValues(v, out, seen, masked, depth+1)
		}
	}
}

// headerScalars collects the scalars under v; in the header map (top) the keys
// (header names) are kept and only the values are collected.
func headerScalars(v *yaml.Node, out *[]span, seen map[*yaml.Node]bool, depth int, top bool) {
	if v == nil || depth > 64 {
		return
	}
	// Each node once: aliases may make the tree a graph, even a cycle.
	if v.Kind != yaml.ScalarNode {
		if seen[v] {
			return
		}
		seen[v] = true
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag != "!!null" || v.Value != "" {
			*out = append(*out, span{n: v})
		}
	case yaml.AliasNode:
		headerScalars(v.Alias, out, seen, depth+1, top)
	case yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			if !top {
				headerScalars(v.Content[i], out, seen, depth+1, false)
			}
			headerScalars(v.Content[i+1], out, seen, depth+1, false)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range v.Content {
			headerScalars(c, out, seen, depth+1, false)
		}
	}
}

// maskSpan overwrites a scalar's text, from its column to the end of its token,
// with <masked>. A quoted scalar over several lines keeps its quotes around
// <masked> and its lines in between are blanked; a block scalar or a plain scalar
// over several lines is masked to the end of its line and its continuation lines
// (those more indented than its line) are blanked.
func maskSpan(lines []string, s span) {
	li, col := s.n.Line-1, s.n.Column-1
	if li < 0 || li >= len(lines) || col < 0 || col > len(lines[li]) {
		return
	}
	line := lines[li]
	quoted := s.n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	end, ok := tokenEnd(line, col, s.n.Style)
	if ok && !quoted && strings.TrimSpace(line[col:end]) != s.n.Value {
		ok = false // a plain scalar that continues on the next lines
	}
	if ok {
		lines[li] = line[:col] + maskedText + line[end:]
		return
	}
	if quoted && col < len(line) {
		q := line[col]
		lines[li] = line[:col] + string(q) + maskedText
		for j := li + 1; j < len(lines); j++ {
			if k := closingQuote(lines[j], q); k >= 0 {
				lines[j] = string(q) + lines[j][k+1:]
				return
			}
			lines[j] = ""
		}
		return
	}
	lines[li] = line[:col] + maskedText
	indent := len(line) - len(strings.TrimLeft(line, " "))
	for j := li + 1; j < len(lines); j++ {
		l := lines[j]
		t := strings.TrimLeft(l, " ")
		if t != "" && len(l)-len(t) <= indent {
			break
		}
		lines[j] = ""
	}
}

// closingQuote is the index of the quote that closes a quoted scalar continued on
// this line, or -1.
func closingQuote(l string, q byte) int {
	for i := 0; i < len(l); i++ {
		switch {
		case q == '"' && l[i] == '\\':
			i++
		case q == '\'' && l[i] == '\'' && i+1 < len(l) && l[i+1] == '\'':
			i++
		case l[i] == q:
			return i
		}
	}
	return -1
}

// tokenEnd finds where the scalar starting at col ends on the line, and whether it
// ends there.
func tokenEnd(line string, col int, style yaml.Style) (int, bool) {
	switch {
	case style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, false
	case style&yaml.DoubleQuotedStyle != 0:
		for i := col + 1; i < len(line); i++ {
			if line[i] == '\\' {
				i++
				continue
			}
			if line[i] == '"' {
				return i + 1, true
			}
		}
		return 0, false
	case style&yaml.SingleQuotedStyle != 0:
		for i := col + 1; i < len(line); i++ {
			if line[i] == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, true
			}
		}
		return 0, false
	}
	// A plain scalar ends at a comment, or in flow context at , ] or }.
	end := len(line)
	for i := col; i < len(line); i++ {
		if line[i] == '#' && i > col && (line[i-1] == ' ' || line[i-1] == '\t') {
			end = i
			break
		}
		if line[i] == ',' || line[i] == ']' || line[i] == '}' {
			end = i
			break
		}
	}
	return len(strings.TrimRight(line[:end], " \t")), true
}
