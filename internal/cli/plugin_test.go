package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestDisplayName(t *testing.T) {
	for arg0, want := range map[string]string{
		"palisade":                           "palisade",
		"/usr/local/bin/palisade":            "palisade",
		"/home/u/.krew/bin/kubectl-palisade": "kubectl palisade",
		`C:\krew\bin\kubectl-palisade.exe`:   "kubectl palisade",
		"kubectl-":                           "palisade",
		"cli.test":                           "palisade",
	} {
		if got := displayName(strings.ReplaceAll(arg0, `\`, "/")); got != want {
			t.Errorf("displayName(%q) = %q, want %q", arg0, got, want)
		}
	}
}

// Run as the kubectl plugin, help and usage name the command `kubectl palisade`.
func TestHelpAsKubectlPlugin(t *testing.T) {
	defer func(arg0 string) { os.Args[0] = arg0 }(os.Args[0])
	os.Args[0] = "/krew/bin/kubectl-palisade"
	for args, want := range map[string]string{
		"--help":      "kubectl palisade [command]",
		"scan --help": "kubectl palisade scan [PATH... | -]",
	} {
		var out, errb bytes.Buffer
		if code := Main(strings.Fields(args), nil, &out, &errb); code != ExitOK {
			t.Fatalf("%s: exit %d\n%s", args, code, errb.String())
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s: help has no %q:\n%s", args, want, out.String())
		}
	}
}
