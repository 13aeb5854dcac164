package benchrun

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain makes the test binary a child to measure when BENCHRUN_EXIT is set.
func TestMain(m *testing.M) {
	if code := os.Getenv("BENCHRUN_EXIT"); code != "" {
		os.Stderr.WriteString("child stderr in " + mustGetwd())
		n, _ := strconv.Atoi(code)
		os.Exit(n)
	}
	os.Exit(m.Run())
}

func mustGetwd() string {
	d, _ := os.Getwd()
	return d
}

func TestBest(t *testing.T) {
	dir := t.TempDir()
	for _, code := range []string{"0", "1", "3"} {
		m, err := Best(2, Command{Argv: []string{os.Args[0]}, Dir: dir, Env: []string{"BENCHRUN_EXIT=" + code}})
		if err != nil {
			t.Fatalf("exit %s: %v", code, err)
		}
		if m.Wall <= 0 || m.Wall == time.Hour || m.RSSKB <= 0 || !strings.Contains(m.Stderr, dir) {
			t.Errorf("exit %s: %+v", code, m)
		}
	}
	if _, err := Best(1, Command{Argv: []string{os.Args[0]}, Env: []string{"BENCHRUN_EXIT=2"}}); err == nil || !strings.Contains(err.Error(), "exit status 2: child stderr") {
		t.Errorf("exit 2: %v", err)
	}
}

func TestFormat(t *testing.T) {
	if got := Duration(850 * time.Millisecond); got != "850 ms" {
		t.Error(got)
	}
	if got := Duration(12345 * time.Millisecond); got != "12.35 s" && got != "12.34 s" {
		t.Error(got)
	}
	if got := MiB(1536); got != 2 {
		t.Error(got)
	}
}
