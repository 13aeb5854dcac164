// Package vuln matches a software inventory against vulnerability advisories: each
// package is looked up by its ecosystem and the name the advisories use, every affected
// entry of the right ecosystem (and distribution release) is evaluated with the
// ecosystem's own version order (internal/version) and the OSV range semantics
// (internal/osv), and the records that match are merged by alias into one
// vulnerability per package, with its evidence. No CPE, no fuzzy names.
package vuln

import (
	"context"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/software"
)

// Advisories is where records are looked up (a *vulndb.DB; a map in tests).
type Advisories interface {
	Lookup(eco software.Ecosystem, name string) ([]*osv.Record, error)
}

// Result is what matching an inventory found.
type Result struct {
	// Vulnerabilities are one per (package, vulnerability), in package order then by
	// ID.
	Vulnerabilities []Vulnerability
	// NotEvaluated are advisories that name an installed package but give only GIT
	// (commit) ranges: never guessed.
	NotEvaluated []NotEvaluated
	// Unsupported counts packages of ecosystems with no version order (gem, nuget,
	// composer) that have advisories: not matched, said so.
	Unsupported map[software.Ecosystem]int
	// Problems are records that could not be evaluated (a version the ecosystem's
	// order rejects), naming the record and the package.
	Problems []string
}

// Vulnerability is one vulnerability of one installed package.
type Vulnerability struct {
	// Package is the installed package (its file and layer).
	Package *software.Package
	// Evidence is what a finding shows (finding.Vulnerability).
	Evidence finding.Vulnerability
	// Unfixed is set when no fixed version is known.
	Unfixed bool
}

// NotEvaluated is an advisory whose ranges could not be evaluated for a package.
type NotEvaluated struct {
	Package *software.Package
	IDs     []string
	Reason  string
}

// Match looks every package of inv up in db. An error is only a failure of db itself;
// records that cannot be evaluated are Problems.
func Match(ctx context.Context, db Advisories, inv *software.Inventory) (*Result, error) {
	panic("vuln: not implemented")
}
