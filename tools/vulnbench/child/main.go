// Command child is what tools/vulnbench measures, one run per process: -mode
// import (vulndb.Import of the arguments into -db as -source, for a palisade binary
// without `db import`), match (the inventory file -inventory matched against -db
// with vuln.Match, timed after the inventory is read), scan (the directory -rootfs
// catalogued as `palisade image --rootfs` does, then matched) and prepare (the test
// image built or found and catalogued, the inventory completed to -packages, the
// synthesised records and replicas up to -records written as OSV zip exports into
// -work, the Go database -godb converted to govulncheck's layout). Each reports on
// its standard error (tools/vulnbench/internal/protocol).
package main

import (
	"flag"
	"fmt"
	"os"
)

// options are the flags of every mode.
type options struct {
	mode, db, inventory, source, rootfs, work, goDB string
	records, packages                               int
}

func main() {
	o := options{}
	flag.StringVar(&o.mode, "mode", "", "import, match, scan or prepare")
	flag.StringVar(&o.db, "db", "", "database")
	flag.StringVar(&o.inventory, "inventory", "", "match: the inventory (JSON)")
	flag.StringVar(&o.source, "source", "", "import: the source name")
	flag.StringVar(&o.rootfs, "rootfs", "", "scan: the directory; prepare: the Debian root filesystem (default: hack/debian-rootfs.sh's)")
	flag.StringVar(&o.work, "work", "", "prepare: the work directory")
	flag.StringVar(&o.goDB, "godb", "", "prepare: the Go database's data/osv")
	flag.IntVar(&o.records, "records", 200_000, "prepare: records of the large database")
	flag.IntVar(&o.packages, "packages", 1_000, "prepare: packages of the inventory")
	flag.Parse()
	var err error
	if o.mode == "prepare" {
		err = prepareChild(o)
	} else {
		err = child(o, flag.Args())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulnbench child:", err)
		os.Exit(1)
	}
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, "vulnbench: "+format+"\n", a...) }
