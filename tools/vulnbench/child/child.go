package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
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
	"github.com/palisade-k8s/palisade/tools/vulnbench/internal/protocol"
)

// A match child writes a CPU profile of the match to $VULNBENCH_CPUPROFILE when set.

// child runs one measured child: "import" imports args into the database as the
// source named by -source; "match" matches the inventory file inventoryPath
// against the database dbPath; "scan" catalogs the directory rootfs (as `palisade
// image --rootfs` does) and matches it. It reports on stderr.
func child(o options, args []string) error {
	ctx := context.Background()
	mode, dbPath, inventoryPath, rootfs := o.mode, o.db, o.inventory, o.rootfs
	var inv software.Inventory
	switch mode {
	case "import":
		return childImport(ctx, dbPath, o.source, args)
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
		return fmt.Errorf("-mode %q: want import, match, scan or prepare", mode)
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
	if prof := os.Getenv("VULNBENCH_CPUPROFILE"); prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	res, err := vuln.Match(ctx, db, &inv)
	wall := time.Since(start)
	rssAfter, cpuAfter := rusage()
	runtime.ReadMemStats(&after)
	if err != nil {
		return err
	}
	rep := protocol.Match{
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
	return protocol.Write(rep)
}

// childImport imports paths into the database at dbPath as source src, in process
// (what `palisade db import --db DB --source SRC PATH...` does), for a palisade
// binary without the db command.
func childImport(ctx context.Context, dbPath, src string, paths []string) error {
	db, err := vulndb.Open(dbPath, vulndb.Options{})
	if err != nil {
		return err
	}
	sum, err := db.Import(ctx, paths, vulndb.ImportOptions{Source: src})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if len(sum.Problems) > 0 {
		return fmt.Errorf("%d records skipped, the first: %v", len(sum.Problems), sum.Problems[0])
	}
	fmt.Fprintf(os.Stderr, "imported %d records from %d files\n", sum.Records, sum.Files)
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
