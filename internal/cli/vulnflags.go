package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/palisade-k8s/palisade/internal/checks/images"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/vulndb"
)

// vulnFlags are the flags of vulnerability matching (palisade image, and scan and
// cluster with --images): the database, how old it may be, and --ignore-unfixed.
type vulnFlags struct {
	db            string
	dbSet         func() bool // --db was given
	maxAge        string
	failOnStale   bool
	ignoreUnfixed bool
}

// defaultMaxDBAge is --max-db-age's default.
const defaultMaxDBAge = "7d"

func (v *vulnFlags) register(f *pflag.FlagSet, when string) {
	f.StringVar(&v.db, "db", vulndb.DefaultPath(), when+"vulnerability database the images' packages are matched against (palisade db import); \"\" for none")
	v.dbSet = func() bool { return f.Changed("db") }
	f.StringVar(&v.maxAge, "max-db-age", defaultMaxDBAge, when+"age (newest advisory) past which a database source is stale: days (7d) or a duration (36h); 0 never")
	f.BoolVar(&v.failOnStale, "fail-on-stale-db", false, when+"a stale database source is an input error (exit 3) instead of a notice")
	f.BoolVar(&v.ignoreUnfixed, "ignore-unfixed", false, when+"report only vulnerabilities with a known fixed version (PAL-130 ignoreUnfixed)")
}

// database is the vulnerability database the flags name: nil for --db "". A
// database named with --db must exist (a usage error otherwise); the default one
// missing is a notice of the scan.
func (v *vulnFlags) database() (*source.VulnDB, error) {
	age, err := parseAge(v.maxAge)
	if err != nil {
		return nil, fmt.Errorf("--max-db-age: %w", err)
	}
	named := v.dbSet != nil && v.dbSet()
	if named && v.db == "" {
		return nil, nil
	}
	if named {
		if _, err := os.Stat(v.db); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("--db %s: %w: create it with `palisade db import PATH... --db %s`", v.db, source.ErrNoDatabase, v.db)
		}
	}
	return &source.VulnDB{Path: v.db, Required: named, MaxAge: age, FailOnStale: v.failOnStale}, nil
}

// configure sets the rule parameters the flags stand for.
func (v *vulnFlags) configure(cfg *config.Config) *config.Config {
	if v.ignoreUnfixed {
		cfg = cfg.WithParam(images.VulnRuleID, images.ParamIgnoreUnfixed, "true")
	}
	return cfg
}

// parseAge reads an age: a whole number of days ("7d") or a Go duration ("36h",
// "90m"); "0" is no limit.
func parseAge(s string) (time.Duration, error) {
	const maxDays = 100 * 366
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > maxDays || strings.HasPrefix(n, "+") {
			return 0, fmt.Errorf("invalid age %q: want days (7d) or a duration (36h)", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid age %q: want days (7d) or a duration (36h)", s)
	}
	return d, nil
}
