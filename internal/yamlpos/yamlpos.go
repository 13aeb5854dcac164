// Package yamlpos reads positions out of gopkg.in/yaml.v3 error messages, so every
// reader of YAML in Palisade (manifests, configuration) names the same, right line.
package yamlpos

import (
	"regexp"
	"strconv"
	"strings"
)

var lineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// parserProblems are the problems yaml.v3 raises from its parser (not its scanner).
// For those it reports the 0-based line of the mark, not the 1-based one.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'": true, "did not find expected ',' or '}'": true,
	"did not find expected '-' indicator": true, "did not find expected key": true,
	"did not find expected node content": true, "found undefined tag handle": true,
	"did not find expected <document start>": true, "did not find expected <stream-start>": true,
	"found duplicate %TAG directive": true, "found duplicate %YAML directive": true,
	"found incompatible YAML document": true,
}

// Split returns the 1-based line a yaml.v3 syntax error names (0 if none) and the
// message without the "yaml: line N:" prefix.
func Split(err error) (line int, msg string) {
	msg = err.Error()
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0, strings.TrimPrefix(msg, "yaml: ")
	}
	line, _ = strconv.Atoi(m[1])
	msg = msg[len(m[0]):]
	if parserProblems[msg] {
		line++
	}
	return line, msg
}
