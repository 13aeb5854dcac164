// Command prof runs one scan under the CPU and heap profilers, for performance work:
// go run ./tools/prof -cpu cpu.out -mem mem.out PATH...
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

func main() {
	cpu := flag.String("cpu", "cpu.out", "CPU profile file")
	mem := flag.String("mem", "", "heap profile file (taken at the end of the scan)")
	at := flag.Duration("at", 0, "take the heap profile this long after the start instead of at the end")
	flag.Parse()
	f, err := os.Create(*cpu)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *mem != "" && *at > 0 {
		go func() {
			time.Sleep(*at)
			if m, err := os.Create(*mem); err == nil {
				_ = pprof.WriteHeapProfile(m)
				m.Close()
			}
		}()
	}
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: flag.Args()}, FailOn: "none"})
	pprof.StopCPUProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *mem != "" && *at == 0 {
		runtime.GC()
		m, err := os.Create(*mem)
		if err == nil {
			_ = pprof.WriteHeapProfile(m)
			m.Close()
		}
	}
	fmt.Println(res.Report.Summary.Objects, "objects,", len(res.Report.Findings), "findings")
}
