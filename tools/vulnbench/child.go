package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/palisade-k8s/palisade/internal/image"
	"github.com/palisade-k8s/palisade/internal/software"
	_ "github.com/palisade-k8s/palisade/internal/software/all"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/vuln"
	"github.com/palisade-k8s/palisade/internal/vulndb"
)

// childReport is what a child run says on its standard error, as its last line.
type childReport struct {
	Packages int `json:"packages"`
	// Match is the wall time of vuln.Match alone, after the inventory was read and
	// the database opened; MatchCPU its CPU time (the process's, over the call).
	Match, MatchCPU time.Duration
	// Vulnerabilities counts the (package, vulnerability) pairs; IDs are every
	// advisory ID of them (IDs and aliases), sorted; Unfixed those without a fix.
	Vulnerabilities int      `json:"vulnerabilities"`
	Unfixed         int      `json:"unfixed"`
	IDs             []string `json:"ids,omitempty"`
	NotEvaluated    int      `json:"notEvaluated"`
	Problems        int      `json:"problems"`
	// Allocated is what the match allocated (Go heap, cumulative); RSSBefore and
	// RSSAfter the process's peak resident set before and after the match (KiB).
	Allocated           uint64 `json:"allocated"`
	RSSBefore, RSSAfter int64
}

const childMarker = "vulnbench-child: "

// child runs one measured child: "match" matches the inventory file inventoryPath
// against the database dbPath; "scan" catalogs the directory rootfs (as `palisade
// image --rootfs` does) and matches it. It reports on stderr.
func child(mode, dbPath, inventoryPath, rootfs string) error {
	ctx := context.Background()
	var inv software.Inventory
	switch mode {
	case "match":
		data, err := os.ReadFile(inventoryPath)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &inv); err != nil {
			return fmt.Errorf("%s: %w", inventoryPath, err)
		}
	case "scan":
		img, err := image.OpenRootFS(rootfs)
		if err != nil {
			return err
		}
		files, err := img.Read(ctx, image.Options{Keep: source.Keep})
		if err != nil {
			return err
		}
		defer files.Close()
		inv = software.Catalog(ctx, files, files)
	default:
		return fmt.Errorf("-child %q: want match or scan", mode)
	}
	db, err := vulndb.Open(dbPath, vulndb.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore, cpuBefore := rusage()
	start := time.Now()
	res, err := vuln.Match(ctx, db, &inv)
	wall := time.Since(start)
	rssAfter, cpuAfter := rusage()
	runtime.ReadMemStats(&after)
	if err != nil {
		return err
	}
	rep := childReport{
		Packages: len(inv.Packages), Match: wall, MatchCPU: cpuAfter - cpuBefore,
		Vulnerabilities: len(res.Vulnerabilities), NotEvaluated: len(res.NotEvaluated), Problems: len(res.Problems),
		Allocated: after.TotalAlloc - before.TotalAlloc, RSSBefore: rssBefore, RSSAfter: rssAfter,
	}
	ids := map[string]bool{}
	for _, v := range res.Vulnerabilities {
		if v.Unfixed {
			rep.Unfixed++
		}
		ids[v.Evidence.ID] = true
		for _, a := range v.Evidence.Aliases {
			ids[a] = true
		}
		for _, r := range v.Evidence.Records { // "source/ID"
			if i := strings.LastIndexByte(r, '/'); i >= 0 {
				ids[r[i+1:]] = true
			}
		}
	}
	if mode == "scan" {
		for id := range ids {
			rep.IDs = append(rep.IDs, id)
		}
		sort.Strings(rep.IDs)
	}
	out, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s%s\n", childMarker, out)
	return nil
}

// rusage is this process's peak RSS (KiB) and CPU time so far.
func rusage() (int64, time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return ru.Maxrss, time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parseChild reads a child's report from its standard error.
func parseChild(stderr string) (childReport, error) {
	var rep childReport
	i := strings.LastIndex(stderr, childMarker)
	if i < 0 {
		return rep, fmt.Errorf("the child reported nothing: %.2000s", stderr)
	}
	line, _, _ := strings.Cut(stderr[i+len(childMarker):], "\n")
	return rep, json.Unmarshal([]byte(line), &rep)
}
