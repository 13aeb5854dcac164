package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/secrets/secretset"
)

// TestJudgedFile: the committed judgements parse, name each line once, and hold no
// value: after the verdict only a short reason in words, nothing long enough to be a
// credential.
func TestJudgedFile(t *testing.T) {
	const file = "testdata/corpus-judged.txt"
	judged, err := readJudged(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(judged) < 300 {
		t.Errorf("%d judged lines", len(judged))
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^[A-Za-z0-9_./-]+:\d+ (real|demo|false) # [^#]+$`)
	long := regexp.MustCompile(`[A-Za-z0-9+/=_$-]{16,}`)
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		if !line.MatchString(l) {
			t.Errorf("%s:%d: want path:line verdict # reason", file, n)
			continue
		}
		key, reason, _ := strings.Cut(l, " # ")
		if long.MatchString(reason) {
			t.Errorf("%s:%d: the reason holds a long token: write words, never the value", file, n)
		}
		k := strings.Fields(key)[0]
		if seen[k] {
			t.Errorf("%s:%d: %s judged twice", file, n, k)
		}
		seen[k] = true
	}
}

// TestParse: both tools' reports become findings with paths relative to the scanned
// directory, Palisade's limited to the credential and Secret rules.
func TestParse(t *testing.T) {
	dir := t.TempDir()
	pal := dir + "/p.json"
	os.WriteFile(pal, []byte(`{"findings":[
		{"ruleID":"PAL-505","location":{"file":"k8s/a.yaml","line":3}},
		{"ruleID":"PAL-001","location":{"file":"k8s/a.yaml","line":4}},
		{"ruleID":"PAL-524","location":{"file":"`+dir+`/k8s/s.yaml","line":7}},
		{"ruleID":"PAL-513","location":{"file":"app/.env","line":2,"commit":"abc"}}]}`), 0o644)
	fs, err := palisadeTool{}.parse(pal, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []secretset.Finding{{File: "k8s/a.yaml", Line: 3, Rule: "PAL-505"}, {File: "k8s/s.yaml", Line: 7, Rule: "PAL-524"},
		{File: "app/.env", Line: 2, Rule: "PAL-513", Commit: "abc"}}
	if len(fs) != len(want) {
		t.Fatalf("palisade: %+v", fs)
	}
	for i := range want {
		if fs[i] != want[i] {
			t.Errorf("palisade finding %d: %+v, want %+v", i, fs[i], want[i])
		}
	}
	if got := only(fs, credentialRules); len(got) != 2 {
		t.Errorf("credential rules keep %d findings, want 2", len(got))
	}
	gl := dir + "/g.json"
	os.WriteFile(gl, []byte(`[{"RuleID":"generic-api-key","File":"./app/.env","StartLine":5,"Commit":"def"}]`), 0o644)
	fs, err = gitleaksTool{}.parse(gl, dir)
	if err != nil || len(fs) != 1 || fs[0] != (secretset.Finding{File: "app/.env", Line: 5, Rule: "generic-api-key", Commit: "def"}) {
		t.Errorf("gitleaks: %+v, %v", fs, err)
	}
}
