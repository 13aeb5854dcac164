//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/palisade-k8s/palisade/tools/internal/docsection"
	"github.com/palisade-k8s/palisade/tools/internal/policygen"
)

// custom is the -custom case: what custom rules and ValidatingAdmissionPolicies
// cost a review. Each rate is held against a server with an empty configuration,
// then against a server whose configuration has the custom rules of
// tools/internal/policygen and names its policies (policies:, with their bindings
// and parameter ConfigMaps), the same review, the same client.
type custom struct {
	on              bool
	rules, policies int
	seed            uint64
	doc             string
}

var (
	ruleIDRE     = regexp.MustCompile(`ACME-\d{3}`)
	policyNameRE = regexp.MustCompile(`acme-\d{2}`)
)

// answer is what the server answered to one review, in brief.
type answer struct {
	allowed                    bool
	message                    string
	warnings, auditAnnotations int
	rulesSeen, policiesSeen    int // distinct custom rule IDs and policy names in the answer
	rulesNamed, policiesNamed  []string
}

func (a answer) String() string {
	s := "allowed"
	if !a.allowed {
		s = "denied"
		if a.message != "" {
			m := a.message
			if len(m) > 160 {
				m = m[:160] + "..."
			}
			s += fmt.Sprintf(" (%q)", m)
		}
	}
	return fmt.Sprintf("%s, %d warnings, %d audit annotations", s, a.warnings, a.auditAnnotations)
}

// ask sends one review and summarizes the answer.
func ask(c *http.Client, url string, body []byte) (answer, error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return answer{}, err
	}
	var r struct {
		Response *struct {
			Allowed bool `json:"allowed"`
			Status  *struct {
				Message string `json:"message"`
			} `json:"status"`
			Warnings         []string          `json:"warnings"`
			AuditAnnotations map[string]string `json:"auditAnnotations"`
		} `json:"response"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(data, &r) != nil || r.Response == nil {
		return answer{}, fmt.Errorf("status %d: not an AdmissionReview answer: %.300s", resp.StatusCode, data)
	}
	a := answer{allowed: r.Response.Allowed, warnings: len(r.Response.Warnings), auditAnnotations: len(r.Response.AuditAnnotations)}
	if r.Response.Status != nil {
		a.message = r.Response.Status.Message
	}
	a.rulesNamed = distinct(ruleIDRE.FindAllString(string(data), -1))
	a.policiesNamed = distinct(policyNameRE.FindAllString(string(data), -1))
	a.rulesSeen, a.policiesSeen = len(a.rulesNamed), len(a.policiesNamed)
	return a, nil
}

func distinct(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// tail keeps the last bytes written to it (a server's error output).
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

func (t *tail) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

type customRow struct {
	config string
	rate   int
	res    *result
	cpu    time.Duration
}

func (c custom) run(bin, rateList string, d time.Duration, extra []string) error {
	var rates []int
	for _, s := range strings.FieldsFunc(rateList, func(r rune) bool { return r == ',' }) {
		rate, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || rate <= 0 || rate > 20000 {
			return fmt.Errorf("bad rate %q (1..20000)", s)
		}
		rates = append(rates, rate)
	}
	if len(rates) == 0 {
		return fmt.Errorf("-custom: no -rates")
	}
	dir, err := os.MkdirTemp("", "palisade-webhookload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := certs(bin, dir); err != nil {
		return err
	}
	gen, err := policygen.Write(filepath.Join(dir, "generated"), policygen.Options{Seed: c.seed, Rules: c.rules, Policies: c.policies})
	if err != nil {
		return err
	}
	body, size, err := reviewBody(nil)
	if err != nil {
		return err
	}
	// Both servers read the review's Namespace from a fake cluster on loopback.
	fc, err := startFakeCluster(dir, "shop")
	if err != nil {
		return err
	}
	defer fc.close()
	extra = append([]string{"--kubeconfig", fc.kubeconfig}, extra...)
	withLabel := fmt.Sprintf("+ %d custom rules + %d VAPs", c.rules, c.policies)
	configs := []struct {
		label string
		args  []string
	}{
		{"built-in rules only", []string{"--config", gen.Empty}},
		{withLabel, []string{"--config", gen.Both}},
	}
	var rows []customRow
	answers := map[string]answer{}
	var notes []string
	for i, cfg := range configs {
		var errOut tail
		srv, base, client, err := startServer(bin, dir, append(cfg.args, extra...), &errOut)
		if err != nil {
			if i == 0 {
				return fmt.Errorf("%s: %v: %s", cfg.label, err, errOut.lastLine())
			}
			notes = append(notes, fmt.Sprintf("**%s: not measured**: the server does not start with them: %s.", cfg.label, errOut.lastLine()))
			fmt.Fprintf(os.Stderr, "webhookload: %s: not measured: %v: %s\n", cfg.label, err, errOut.lastLine())
			continue
		}
		a, err := ask(client, base+"/validate", body)
		if err != nil {
			srv.stop()
			return fmt.Errorf("%s: %w", cfg.label, err)
		}
		if i > 0 {
			var missing []string
			if a.rulesSeen == 0 {
				missing = append(missing, "no custom rule (ACME-NNN)")
			}
			if a.policiesSeen == 0 {
				missing = append(missing, "no policy (acme-NN)")
			}
			if len(missing) == 2 {
				srv.stop()
				notes = append(notes, fmt.Sprintf("**%s: not measured**: the server's answer names %s: this build does not apply them (answer: %s).", cfg.label, strings.Join(missing, " and "), a))
				fmt.Fprintf(os.Stderr, "webhookload: %s: not measured: the answer names %s\n", cfg.label, strings.Join(missing, " and "))
				continue
			}
			if len(missing) == 1 {
				notes = append(notes, fmt.Sprintf("**Partial**: with %s, the server's answer names %s: this build applies only part of the configuration.", cfg.label, missing[0]))
			}
		}
		answers[cfg.label] = a
		fmt.Fprintf(os.Stderr, "webhookload: %s: %s\n", cfg.label, a)
		// Warm up: connections, caches, the server's heap.
		if _, err := fixedRate(client, base, body, 200, 3*time.Second); err != nil {
			srv.stop()
			return err
		}
		for _, rate := range rates {
			cpu0 := procCPU(srv.Pid)
			res, err := fixedRate(client, base, body, rate, d)
			if err != nil {
				srv.stop()
				return fmt.Errorf("%s: %w", cfg.label, err)
			}
			rows = append(rows, customRow{cfg.label, rate, res, procCPU(srv.Pid) - cpu0})
		}
		srv.stop()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Measured by `make bench-webhook` (`tools/webhookload -custom`) on %s/%s, %d CPUs, %s; server and client on the same machine, one server process, each rate held %s, open loop.\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), d)
	fmt.Fprintf(&b, "Review: the Deployment of tools/webhookload (CREATE, %d bytes of AdmissionReview). Configurations: an empty one; one with %d custom rules and naming %d ValidatingAdmissionPolicies with their bindings and %d parameter ConfigMaps (`policies:`), generated by tools/internal/policygen with seed %d as for the scan above. Both servers run in cluster mode against a fake API server on loopback that serves the lists and watches of Namespaces (the review's, which the policies' namespaceSelectors and the API server's dispatcher read) and Pods (none).\n\n",
		size, c.rules, gen.Features.Policies, gen.Features.Params, c.seed)
	b.WriteString("| configuration | target rate | achieved | errors | p50 | p90 | p99 | max | server CPU per review |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d/s | %.0f/s | %d | %s | %s | %s | %s | %s |\n", r.config, r.rate, r.res.throughput, r.res.errors,
			ms(r.res.pct(50)), ms(r.res.pct(90)), ms(r.res.pct(99)), ms(r.res.max()), us(r.cpu/time.Duration(max(1, r.res.ok))))
	}
	b.WriteString("\n")
	for _, cfg := range configs {
		if a, ok := answers[cfg.label]; ok {
			fmt.Fprintf(&b, "Answer with %s: %s", cfg.label, a)
			if a.rulesSeen+a.policiesSeen > 0 {
				fmt.Fprintf(&b, "; names %d custom rules and %d policies", a.rulesSeen, a.policiesSeen)
			}
			b.WriteString(".\n")
		}
	}
	for _, n := range notes {
		b.WriteString("\n" + n + "\n")
	}
	// The p99 ratio at each rate.
	for _, rate := range rates {
		var base, with *customRow
		for i := range rows {
			if rows[i].rate == rate && rows[i].config == configs[0].label {
				base = &rows[i]
			}
			if rows[i].rate == rate && rows[i].config == withLabel {
				with = &rows[i]
			}
		}
		if base != nil && with != nil {
			fmt.Fprintf(&b, "\nAt %d/s: p99 %s with them against %s without; server CPU per review %s against %s.\n", rate,
				ms(with.res.pct(99)), ms(base.res.pct(99)), us(with.cpu/time.Duration(max(1, with.res.ok))), us(base.cpu/time.Duration(max(1, base.res.ok))))
		}
	}
	return docsection.Emit(os.Stdout, c.doc, "policybench-webhook", "the webhook table", b.String(), func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "webhookload: "+format+"\n", a...)
	})
}
