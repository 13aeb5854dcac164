package main

// The README (and the docs pages that show console sessions) is a contract with a new
// user: every command it shows must run as shown and print what it shows. This test
// runs them, in-process, from the repository root:
//
//   - ```console blocks: each "$ palisade ..." command runs, and its output (standard
//     output and standard error, as a terminal shows them) must match the lines under
//     it. A line "..." (indentation allowed) stands for any number of lines left out.
//   - ```sh blocks: each palisade command runs and must exit 0 or 1; a command that
//     needs a live cluster, runs a server or names files only a real system has
//     (--context, --cluster, no path for netpol/rbac, `cluster`, `webhook serve`, /etc/...) is
//     parsed against the command's flags instead. `make X` must name a Makefile target.
//   - Every rule ID the text names exists, and every range "PAL-A..PAL-B" is a whole
//     family: its ends exist and the rules just outside it belong to another one.
//   - The Example: lines of every command's help are run (or parsed) the same way.
//
// When the tool's output changes on purpose, regenerate the samples with
//
//	go test ./cmd/palisade -run TestDocs -update
//
// which rewrites each sample with the new output, keeping its "..." elisions (the
// lines shown are matched to the new output by similarity), and the "full report has
// N lines" counts. Review the diff: a sample that lost its point needs a hand edit.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/palisade-k8s/palisade/internal/admission"
	"github.com/palisade-k8s/palisade/internal/cli"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the console samples of README.md and docs/*.md with the current output")

// docFiles are the pages whose samples are checked, relative to the repository root.
var docFiles = []string{"README.md", "docs/netpol.md", "docs/compliance.md", "docs/paths.md", "docs/nodes.md"}

// repoRoot is the repository root: the samples name paths relative to it.
var repoRoot, _ = filepath.Abs(filepath.Join("..", ".."))

func TestDocs(t *testing.T) {
	for _, name := range docFiles {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			t.Chdir(repoRoot)
			checkDoc(t, name)
		})
	}
}

// TestREADMEFirstCommands: the README opens with the two commands a new user runs:
// the scan of the bundled examples, which fails on purpose (exit 1) because of
// examples/insecure, and the test suite.
func TestREADMEFirstCommands(t *testing.T) {
	lines := readLines(t, filepath.Join(repoRoot, "README.md"))
	blocks := parseBlocks(lines)
	if len(blocks) == 0 || blocks[0].lang != "sh" {
		t.Fatal("README.md does not open with a sh block")
	}
	want := []string{"go run ./cmd/palisade scan examples/", "make test"}
	if got := blocks[0].body(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README.md's first commands are %q, want %q", got, want)
	}
	t.Chdir(repoRoot)
	sb := newSandbox(t)
	out, code := sb.exec(t, mustParse(t, "palisade scan examples/"))
	if code != 1 || !strings.Contains(out, "Result: FAIL") {
		t.Errorf("scan examples/: exit %d, want 1 (examples/insecure fails on purpose)\n%s", code, out)
	}
}

// TestHelpExamples runs the Example: lines of every command, as the README's sh blocks.
func TestHelpExamples(t *testing.T) {
	t.Chdir(repoRoot)
	sb := newSandbox(t)
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		checkRuleClaims(t, c.CommandPath()+" help", strings.Split(c.Short+"\n"+c.Long+"\n"+c.Example, "\n"))
		for _, l := range strings.Split(c.Example, "\n") {
			l = strings.TrimSpace(l)
			if l == "" {
				continue
			}
			n++
			sb.checkShell(t, c.CommandPath()+" help", l)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cli.NewRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}))
	if n < 20 {
		t.Errorf("only %d help examples found", n)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// block is a fenced code block: the fence lines are lines[open] and lines[close].
type block struct {
	lang        string
	indent      string
	open, close int
	lines       []string // the content, indentation removed
}

// body is the block's content without blank lines and comment-only lines.
func (b block) body() []string {
	var out []string
	for _, l := range b.lines {
		if s := strings.TrimSpace(l); s != "" && !strings.HasPrefix(s, "#") {
			out = append(out, l)
		}
	}
	return out
}

var fenceRE = regexp.MustCompile("^( *)```([a-z]*)\\s*$")

func parseBlocks(lines []string) []block {
	var out []block
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		b := block{lang: m[2], indent: m[1], open: i}
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == "```" {
				b.close = j
				break
			}
			b.lines = append(b.lines, strings.TrimPrefix(lines[j], b.indent))
		}
		if b.close == 0 {
			return out
		}
		out = append(out, b)
		i = b.close
	}
	return out
}

// sample is one command of a console block and the output shown under it.
type sample struct {
	cmd  []string // the command's lines, "$ " removed (continuations included)
	want []string
}

// lines is the sample as written: its command and the output shown.
func (s sample) lines() []string {
	var out []string
	for _, l := range s.cmd {
		out = append(out, "$ "+l)
	}
	return append(out, s.want...)
}

func (s sample) text() string {
	return strings.ReplaceAll(strings.Join(s.cmd, "\n"), "\\\n", " ")
}

func parseConsole(lines []string) ([]sample, error) {
	var out []sample
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if c, ok := strings.CutPrefix(l, "$ "); ok {
			s := sample{cmd: []string{c}}
			for strings.HasSuffix(s.cmd[len(s.cmd)-1], "\\") && i+1 < len(lines) {
				i++
				s.cmd = append(s.cmd, lines[i])
			}
			out = append(out, s)
			continue
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("output line %q before any command", l)
		}
		out[len(out)-1].want = append(out[len(out)-1].want, l)
	}
	return out, nil
}

func checkDoc(t *testing.T, name string) {
	lines := readLines(t, name)
	sb := newSandbox(t)
	sb.writeConfig(t, lines)
	changed := false
	blocks := parseBlocks(lines)
	// Blocks are rewritten from the last one up, so that line numbers stay valid.
	type edit struct {
		open, close int
		lines       []string
	}
	var edits []edit
	for bi, b := range blocks {
		where := fmt.Sprintf("%s:%d", name, b.open+1)
		switch b.lang {
		case "sh":
			for _, l := range joinContinuations(b.body()) {
				sb.checkShell(t, where, l)
			}
		case "console":
			samples, err := parseConsole(b.lines)
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			if len(samples) > 0 && !isPalisade(samples[0].text()) {
				t.Logf("%s: not checked (%s is not a palisade command)", where, samples[0].text())
				continue
			}
			var newLines []string
			var firstOut []string
			for si, s := range samples {
				c, err := parseShell(s.text())
				if err != nil {
					t.Errorf("%s: %s: %v", where, s.text(), err)
					continue
				}
				got, code := sb.exec(t, c)
				gotLines := splitOutput(got)
				if si == 0 {
					firstOut = gotLines
				}
				if c.runMode == modeRun && code >= 2 && !c.echoCode && !nextEchoes(samples, si) {
					t.Errorf("%s: %s: exit %d\n%s", where, s.text(), code, got)
					newLines = append(newLines, s.lines()...) // never a sample of an error
					continue
				}
				for _, l := range s.cmd {
					newLines = append(newLines, "$ "+l)
				}
				if matchLines(s.want, gotLines) {
					newLines = append(newLines, s.want...)
					continue
				}
				if *update {
					newLines = append(newLines, regenerate(s.want, gotLines)...)
					changed = true
					continue
				}
				t.Errorf("%s: the output of `%s` differs from the sample (go test ./cmd/palisade -run TestDocs -update rewrites it):\n--- sample\n%s\n--- output\n%s",
					where, s.text(), strings.Join(s.want, "\n"), strings.Join(gotLines, "\n"))
			}
			if *update {
				edits = append(edits, edit{b.open, b.close, newLines})
			}
			// "the full report has N lines" right after the block counts the first
			// command's output.
			if bi+1 <= len(blocks) && firstOut != nil {
				end := len(lines)
				if bi+1 < len(blocks) {
					end = blocks[bi+1].open
				}
				for k := b.close + 1; k < end && k < b.close+4; k++ {
					m := fullReportRE.FindStringSubmatchIndex(lines[k])
					if m == nil {
						continue
					}
					n, _ := strconv.Atoi(lines[k][m[2]:m[3]])
					if n != len(firstOut) {
						if *update {
							lines[k] = lines[k][:m[2]] + strconv.Itoa(len(firstOut)) + lines[k][m[3]:]
							changed = true
						} else {
							t.Errorf("%s:%d: says the full report has %d lines; it has %d", name, k+1, n, len(firstOut))
						}
					}
				}
			}
		}
	}
	checkRuleClaims(t, name, lines)
	if *update && changed {
		for i := len(edits) - 1; i >= 0; i-- {
			e := edits[i]
			b := blocks[0]
			for _, x := range blocks {
				if x.open == e.open {
					b = x
				}
			}
			var repl []string
			for _, l := range e.lines {
				if l == "" {
					repl = append(repl, "")
				} else {
					repl = append(repl, b.indent+strings.TrimRight(l, " "))
				}
			}
			lines = append(lines[:e.open+1], append(repl, lines[e.close:]...)...)
		}
		if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the samples of %s", name)
	}
}

var fullReportRE = regexp.MustCompile(`the full report has (\d+) lines`)

func nextEchoes(samples []sample, i int) bool {
	return i+1 < len(samples) && strings.TrimSpace(samples[i+1].text()) == "echo $?"
}

func joinContinuations(lines []string) []string {
	var out []string
	cur := ""
	for _, l := range lines {
		if s, ok := strings.CutSuffix(l, "\\"); ok {
			cur += s + " "
			continue
		}
		out = append(out, cur+l)
		cur = ""
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

func isPalisade(cmd string) bool {
	c, err := parseShell(cmd)
	return err == nil && (c.args != nil || c.echoLast)
}

// splitOutput turns output into lines, without the final newline, trailing spaces
// removed.
func splitOutput(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	out := strings.Split(s, "\n")
	for i := range out {
		out[i] = strings.TrimRight(out[i], " ")
	}
	return out
}

func isElision(l string) bool { return strings.TrimSpace(l) == "..." }

// matchLines reports whether got matches want, where each "..." line of want stands
// for any number of lines.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if isElision(want[0]) {
		for k := 0; k <= len(got); k++ {
			if matchLines(want[1:], got[k:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && strings.TrimRight(want[0], " ") == got[0] && matchLines(want[1:], got[1:])
}

// regenerate writes a new sample from got that shows what want showed: each line of
// want is matched to the most similar line of got (in order), the lines between two
// shown lines are shown too where want showed them contiguously (up to a few), and
// "..." stands for the rest.
func regenerate(want, got []string) []string {
	if len(want) == 0 {
		return got // a new sample: all of it, to trim by hand
	}
	type lit struct {
		text    string
		elision string // the "..." line that comes before it in want, if any
	}
	var lits []lit
	elision := ""
	for _, l := range want {
		if isElision(l) {
			elision = l
			continue
		}
		lits = append(lits, lit{l, elision})
		elision = ""
	}
	tail := elision
	// Align the lines of want with those of got, in order, maximising similarity.
	n, m := len(lits), len(got)
	score := make([][]float64, n+1)
	for i := range score {
		score[i] = make([]float64, m+1)
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			best := max(score[i-1][j], score[i][j-1])
			if s := similarity(lits[i-1].text, got[j-1]); s >= 0.6 {
				best = max(best, score[i-1][j-1]+s)
			}
			score[i][j] = best
		}
	}
	type pair struct {
		lit, got int
	}
	var pairs []pair
	for i, j := n, m; i > 0 && j > 0; {
		switch {
		case score[i][j] == score[i-1][j]:
			i--
		case score[i][j] == score[i][j-1]:
			j--
		default:
			pairs = append([]pair{{i - 1, j - 1}}, pairs...)
			i, j = i-1, j-1
		}
	}
	// The lines of got between two shown ones: shown too where want showed its lines
	// next to each other (up to a few), else one "..." (want's own, if it had one).
	const maxGap = 5
	var out []string
	gap := func(from, to int, elision string) {
		switch {
		case from >= to:
		case elision != "":
			out = append(out, elision)
		case to-from > maxGap:
			ind := len(got[from]) - len(strings.TrimLeft(got[from], " "))
			out = append(out, strings.Repeat(" ", ind)+"...")
		default:
			out = append(out, got[from:to]...)
		}
	}
	prev, prevLit := 0, -1
	for _, p := range pairs {
		el := ""
		for k := prevLit + 1; k <= p.lit; k++ {
			if lits[k].elision != "" {
				el = lits[k].elision
			}
		}
		gap(prev, p.got, el)
		out = append(out, got[p.got])
		prev, prevLit = p.got+1, p.lit
	}
	for k := prevLit + 1; k < n; k++ {
		if lits[k].elision != "" {
			tail = lits[k].elision
		}
	}
	gap(prev, m, tail)
	return out
}

var tokenRE = regexp.MustCompile(`[A-Za-z0-9_.-]+`)
var ruleRE = regexp.MustCompile(`PAL-\d{3}`)

// similarity is the share of tokens two lines have in common (0..1); lines about
// different rules count half.
func similarity(a, b string) float64 {
	ta, tb := tokenRE.FindAllString(a, -1), tokenRE.FindAllString(b, -1)
	if len(ta)+len(tb) == 0 {
		if strings.TrimSpace(a) == strings.TrimSpace(b) {
			return 1
		}
		return 0
	}
	count := map[string]int{}
	for _, x := range ta {
		count[x]++
	}
	common := 0
	for _, x := range tb {
		if count[x] > 0 {
			count[x]--
			common++
		}
	}
	s := 2 * float64(common) / float64(len(ta)+len(tb))
	if ra, rb := ruleRE.FindString(a), ruleRE.FindString(b); ra != rb {
		s /= 2
	}
	return s
}

// checkRuleClaims checks the rule IDs and ranges the text names against the registry.
func checkRuleClaims(t *testing.T, name string, lines []string) {
	rules := scan.AllRules()
	index := map[string]int{}
	for i, r := range rules {
		index[r.ID] = i
	}
	num := func(id string) int { n, _ := strconv.Atoi(id[4:]); return n }
	// family: the neighbour is another family when its category differs or its number
	// does not follow on.
	sameFamily := func(a, b int) bool {
		return rules[a].Category == rules[b].Category && num(rules[b].ID)-num(rules[a].ID) == 1
	}
	for i, l := range lines {
		// A neighbour of a range may be left out of it when the text names it next to
		// the range ("PAL-330..PAL-344 ..., and ... (PAL-345)").
		near := strings.Join(lines[max(0, i-2):min(len(lines), i+3)], "\n")
		for _, m := range rangeRE.FindAllStringSubmatch(l, -1) {
			lo, okLo := index[m[1]]
			hi, okHi := index[m[2]]
			switch {
			case !okLo || !okHi:
				t.Errorf("%s:%d: range %s..%s: no rule %s", name, i+1, m[1], m[2], map[bool]string{true: m[2], false: m[1]}[okLo])
			case lo > hi:
				t.Errorf("%s:%d: range %s..%s is backwards", name, i+1, m[1], m[2])
			case lo > 0 && sameFamily(lo-1, lo) && !strings.Contains(near, rules[lo-1].ID):
				t.Errorf("%s:%d: range %s..%s leaves out %s (%s) just before it", name, i+1, m[1], m[2], rules[lo-1].ID, rules[lo-1].Title)
			case hi+1 < len(rules) && sameFamily(hi, hi+1) && !strings.Contains(near, rules[hi+1].ID):
				t.Errorf("%s:%d: range %s..%s leaves out %s (%s) just after it", name, i+1, m[1], m[2], rules[hi+1].ID, rules[hi+1].Title)
			}
		}
		for _, id := range ruleRE.FindAllString(l, -1) {
			if _, ok := index[id]; !ok {
				t.Errorf("%s:%d: names %s, which is not a rule", name, i+1, id)
			}
		}
		for _, fam := range familyRE.FindAllStringSubmatch(l, -1) {
			found := false
			for _, r := range rules {
				found = found || strings.HasPrefix(r.ID, "PAL-"+fam[1])
			}
			if !found {
				t.Errorf("%s:%d: names the family %s, which has no rule", name, i+1, fam[0])
			}
		}
	}
}

var (
	rangeRE  = regexp.MustCompile("`?(PAL-\\d{3})`?\\s*\\.\\.\\s*`?(PAL-\\d{3})`?")
	familyRE = regexp.MustCompile(`PAL-(\d{1,2})x+\b`)
)

// --- running commands ---

type runMode int

const (
	modeRun   runMode = iota
	modeParse         // check the flags only: it needs a cluster, a server or a real system
	modeSkip          // not a palisade command
)

// shellCmd is one line of shell, as far as the samples use shell: a palisade command
// (or `go run ./cmd/palisade`), optionally fed by `cat FILE |` or `helm template ... |`,
// piped into `dot -Tsvg > FILE` or redirected with `> FILE`, followed by `; echo $?`;
// `source <(palisade ...)`; `echo $?`; `make TARGET`.
type shellCmd struct {
	text      string
	args      []string // palisade's arguments; nil if not a palisade command
	stdinFile string
	stdout    string // "": shown; "/dev/null": dropped; "dot": Graphviz; else a file
	echoCode  bool
	echoLast  bool   // the command is `echo $?`
	make      string // the command is `make TARGET`
	runMode   runMode
	why       string
}

func mustParse(t *testing.T, s string) shellCmd {
	t.Helper()
	c, err := parseShell(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// words splits a shell line into words and operators (|, ;, >, <(, )), dropping a
// trailing comment; quotes are removed.
func words(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			out = append(out, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			return out, nil
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated '")
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, errors.New("unterminated \"")
			}
			inWord = true
			i = j
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			inWord = true
			i++
		case c == '|' || c == ';' || c == ')':
			flush()
			out = append(out, string(c))
		case c == '>' || c == '<':
			flush()
			if i+1 < len(s) && s[i+1] == '(' {
				out = append(out, string(c)+"(")
				i++
			} else {
				out = append(out, string(c))
			}
		case c == '&' || c == '`' || c == '$' && (i+1 >= len(s) || s[i+1] != '?'):
			return nil, fmt.Errorf("unsupported shell syntax %q", string(c))
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return out, nil
}

func parseShell(s string) (shellCmd, error) {
	c := shellCmd{text: s}
	w, err := words(s)
	if err != nil {
		if !strings.Contains(s, "palisade") {
			c.runMode, c.why = modeSkip, "not a palisade command"
			return c, nil
		}
		return c, err
	}
	// "; echo $?" at the end.
	if n := len(w); n >= 3 && w[n-3] == ";" && w[n-2] == "echo" && w[n-1] == "$?" {
		c.echoCode = true
		w = w[:n-3]
	}
	switch {
	case len(w) == 2 && w[0] == "echo" && w[1] == "$?":
		c.echoLast = true
		return c, nil
	case len(w) == 2 && w[0] == "make":
		c.make, c.runMode = w[1], modeSkip
		return c, nil
	case len(w) >= 4 && w[0] == "source" && w[1] == "<(" && w[len(w)-1] == ")":
		w, c.stdout = w[2:len(w)-1], "/dev/null"
	}
	// Stages separated by |.
	var stages [][]string
	start := 0
	for i, x := range w {
		if x == "|" {
			stages = append(stages, w[start:i])
			start = i + 1
		}
	}
	stages = append(stages, w[start:])
	var main []string
	for i, st := range stages {
		switch {
		case len(st) == 0:
			return c, errors.New("empty pipeline stage")
		case st[0] == "palisade":
			main = st[1:]
		case len(st) >= 3 && st[0] == "go" && st[1] == "run" && st[2] == "./cmd/palisade":
			main = st[3:]
		case i == 0 && st[0] == "cat" && len(st) == 2:
			c.stdinFile = st[1]
		case i == 0 && st[0] == "helm":
			c.runMode, c.why = modeParse, "reads the output of helm"
		case i > 0 && st[0] == "dot":
			c.stdout = "dot"
		default:
			if i == 0 {
				c.runMode, c.why = modeSkip, st[0]+" is not run"
				return c, nil
			}
			return c, fmt.Errorf("unsupported pipeline stage %q", strings.Join(st, " "))
		}
	}
	if main == nil {
		return c, errors.New("no palisade command")
	}
	// Redirections of palisade's own stage.
	for i := 0; i < len(main); i++ {
		if main[i] == ">" && i+1 < len(main) {
			c.stdout = main[i+1]
			main = append(main[:i:i], main[i+2:]...)
			i--
		} else if main[i] == ">" || main[i] == "<" || main[i] == ";" || main[i] == "<(" || main[i] == ")" {
			return c, fmt.Errorf("unsupported shell syntax %q", main[i])
		}
	}
	c.args = main
	return c, nil
}

// sandbox runs commands from the repository root; the files they write (reports,
// baselines, certificates) and the configuration the README shows go to a temporary
// directory, and its path is taken out of the output again.
type sandbox struct {
	tmp      string
	lastCode int
}

func newSandbox(t *testing.T) *sandbox {
	sb := &sandbox{tmp: t.TempDir()}
	// The user's cache (the vulnerability database, the image cache) is the
	// sandbox's: samples neither read nor write the real one, and read the same on
	// every machine.
	t.Setenv("HOME", filepath.Join(sb.tmp, "home"))
	t.Setenv("XDG_CACHE_HOME", "")
	return sb
}

// writeConfig writes the README's .palisade.yaml sample (a yaml block opening with
// "# .palisade.yaml") for the commands that name it.
func (sb *sandbox) writeConfig(t *testing.T, lines []string) {
	for _, b := range parseBlocks(lines) {
		if b.lang == "yaml" && len(b.lines) > 0 && strings.TrimSpace(b.lines[0]) == "# .palisade.yaml" {
			if err := os.WriteFile(filepath.Join(sb.tmp, ".palisade.yaml"), []byte(strings.Join(b.lines, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
}

var outputFlags = map[string]bool{"--output-file": true, "--write-baseline": true, "--out-dir": true}

// rewrite points output paths, and input paths the sandbox holds, into the sandbox.
// The first words, which name the command, stay.
func (sb *sandbox) rewrite(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	inTmp := func(p string) string { return filepath.Join(sb.tmp, p) }
	root := cli.NewRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	_, rest, _ := root.Find(args)
	for i, a := range out {
		if i < len(args)-len(rest) {
			continue
		}
		if k, v, ok := strings.Cut(a, "="); ok && outputFlags[k] && !filepath.IsAbs(v) {
			out[i] = k + "=" + inTmp(v)
			continue
		}
		if i > 0 && outputFlags[out[i-1]] && !filepath.IsAbs(a) {
			out[i] = inTmp(a)
			continue
		}
		if a != "" && !strings.HasPrefix(a, "-") && !filepath.IsAbs(a) {
			if _, err := os.Stat(inTmp(a)); err == nil {
				out[i] = inTmp(a)
			}
		}
	}
	return out
}

// mode decides whether a palisade command can run here, from its parsed flags.
func mode(args []string) (runMode, string, error) {
	root := cli.NewRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	cmd, rest, err := root.Find(args)
	if err != nil {
		return modeParse, "", err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return modeParse, "", fmt.Errorf("%s: %w", cmd.CommandPath(), err)
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil && cmd.Args != nil {
		return modeParse, "", fmt.Errorf("%s: %w", cmd.CommandPath(), err)
	}
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return modeParse, "", fmt.Errorf("%s: %w", cmd.CommandPath(), err)
	}
	path := cmd.CommandPath()
	f := cmd.Flags()
	switch {
	case path == "palisade cluster":
		return modeParse, "reads a live cluster", nil
	case path == "palisade webhook serve":
		return modeParse, "runs a server", nil
	case path == "palisade db import" && !f.Changed("db") && existing(f.Args()):
		// Into the sandbox's cache (newSandbox): the README's example advisories.
	case strings.HasPrefix(path, "palisade db "):
		return modeParse, "reads or writes a vulnerability database", nil
	case f.Lookup("context") != nil && f.Changed("context"):
		return modeParse, "names a kubeconfig context", nil
	case f.Lookup("cluster") != nil && f.Changed("cluster"):
		return modeParse, "reads a live cluster (--cluster)", nil
	case path == "palisade image verify" && !f.Changed("layout"):
		return modeParse, "reads images' signatures from their registries", nil
	case path == "palisade image verify" && !existing([]string{f.Lookup("layout").Value.String()}):
		// The repository's example layout (examples/signed) runs.
		return modeParse, "reads an OCI layout the reader does not have", nil
	case path == "palisade image" && (len(f.Args()) > 0 || !localInputs(f, "rootfs", "sbom")):
		// A reference or a build output the reader does not have; --rootfs and
		// --sbom of the repository's examples run.
		return modeParse, "reads images: a registry or build outputs", nil
	case f.Lookup("images") != nil && f.Changed("images"):
		return modeParse, "pulls the workloads' images from their registries", nil
	case f.Lookup("git-history") != nil && f.Changed("git-history"):
		// The history depends on the checkout (a shallow clone, a tarball).
		return modeParse, "reads the checkout's git history", nil
	case (strings.HasPrefix(path, "palisade netpol ") || strings.HasPrefix(path, "palisade rbac ")) && path != "palisade netpol diff" &&
		!f.Changed("filename") && (len(f.Args()) == 0 || path == "palisade rbac who-can" || path == "palisade rbac can"):
		// netpol and rbac read the live cluster when no path is given (rbac who-can
		// and can take their question, not paths, as arguments).
		return modeParse, "reads a live cluster (no path)", nil
	}
	for i, a := range args {
		if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "--") {
			a = v
		}
		if i > 0 && args[i-1] == "--non-resource-url" {
			continue
		}
		if filepath.IsAbs(a) {
			if _, err := os.Stat(a); err != nil {
				return modeParse, "names " + a, nil
			}
		}
	}
	return modeRun, "", nil
}

// existing reports whether paths is not empty and each of them exists.
func existing(paths []string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return len(paths) > 0
}

// localInputs reports whether every value of the named string-array flags is a path
// that exists (relative to the repository root, the samples' working directory).
func localInputs(f interface {
	GetStringArray(string) ([]string, error)
}, names ...string) bool {
	for _, n := range names {
		vs, err := f.GetStringArray(n)
		if err != nil {
			return false
		}
		for _, v := range vs {
			if _, err := os.Stat(filepath.Join(repoRoot, v)); filepath.IsAbs(v) || err != nil {
				return false
			}
		}
	}
	return true
}

// exec runs a command and returns what a terminal would show and the exit code.
func (sb *sandbox) exec(t *testing.T, c shellCmd) (string, int) {
	t.Helper()
	if c.echoLast {
		return fmt.Sprintf("%d\n", sb.lastCode), sb.lastCode
	}
	if c.runMode == modeSkip {
		return "", 0
	}
	m, why, err := mode(c.args)
	if err != nil {
		t.Errorf("%s: %v", c.text, err)
		return "", 2
	}
	if c.runMode == modeRun {
		c.runMode, c.why = m, why
	}
	if c.runMode == modeParse {
		t.Logf("flags checked, not run (%s): %s", c.why, c.text)
		return "", 0
	}
	stdin := strings.NewReader("")
	if c.stdinFile != "" {
		b, err := os.ReadFile(c.stdinFile)
		if err != nil {
			t.Errorf("%s: %v", c.text, err)
			return "", 2
		}
		stdin = strings.NewReader(string(b))
	}
	var term, stdout bytes.Buffer
	var w = &term
	if c.stdout != "" {
		w = &stdout
	}
	code := cli.Main(sb.rewrite(c.args), stdin, w, &term)
	switch c.stdout {
	case "", "/dev/null":
	case "dot":
		if s := strings.TrimSpace(stdout.String()); !strings.HasPrefix(s, "digraph") && !strings.HasPrefix(s, "graph") {
			t.Errorf("%s: output for dot is not a Graphviz graph:\n%s", c.text, s)
		}
	default:
		if err := os.WriteFile(filepath.Join(sb.tmp, c.stdout), stdout.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sb.lastCode = code
	out := strings.ReplaceAll(term.String(), sb.tmp+string(filepath.Separator), "")
	if c.echoCode {
		out += fmt.Sprintf("%d\n", code)
	}
	return out, code
}

// checkShell runs (or parses) one command of a sh block or a help example: it must
// exit 0 or 1.
func (sb *sandbox) checkShell(t *testing.T, where, line string) {
	t.Helper()
	c, err := parseShell(line)
	if err != nil {
		t.Errorf("%s: %s: %v", where, line, err)
		return
	}
	if c.make != "" {
		mk, err := os.ReadFile("Makefile")
		if err != nil || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(c.make)+`:`).Match(mk) {
			t.Errorf("%s: %s: no Makefile target %s", where, line, c.make)
		}
		return
	}
	if c.runMode == modeSkip {
		t.Logf("%s: not run: %s (%s)", where, line, c.why)
		return
	}
	out, code := sb.exec(t, c)
	if code > 1 {
		t.Errorf("%s: %s: exit %d\n%s", where, line, code, out)
	}
}

// The AdmissionReview the README posts to a local webhook is one it decodes, about a
// pod it denies.
func TestREADMEAdmissionReview(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "admission-review.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readFile(t, filepath.Join(repoRoot, "README.md")), []byte("--data @docs/admission-review.json")) {
		t.Error("README.md no longer posts docs/admission-review.json")
	}
	review, err := admission.DecodeReview(b)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := admission.New(&config.Config{})
	if err != nil {
		t.Fatal(err)
	}
	d := ev.Review(context.Background(), review.Request, nil)
	if resp := d.Response(); resp.Allowed || !strings.Contains(resp.Result.Message, "PAL-001") {
		t.Errorf("the sample review is not denied for PAL-001: %+v", resp.Result)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The Prerequisites section names the Go version go.mod asks for, and says how to put
// the installed binary on PATH.
func TestREADMEPrerequisites(t *testing.T) {
	mod := string(readFile(t, filepath.Join(repoRoot, "go.mod")))
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	readme := string(readFile(t, filepath.Join(repoRoot, "README.md")))
	for _, want := range []string{
		"## Prerequisites", "**Go** " + m[1] + " or later", "$(go env GOPATH)/bin",
		"dot -Tsvg", "webhook serve --no-cluster",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not say %q", want)
		}
	}
}
