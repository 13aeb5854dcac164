package source

// Known vulnerabilities: every image's software is matched against the vulnerability
// database (Images.Advisories, or Images.DB opened for the read) once it is
// catalogued, whether the image was read, found in the cache, or is a root
// filesystem or an SBOM; ImageInfo.Vulnerabilities is what the rules (PAL-130) read.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/vuln"
	"github.com/palisade-k8s/palisade/internal/vulndb"
)

// match is the matcher (tests replace it).
var match = vuln.Match

// MatchImage matches the software of the image named name against adv, sets
// info.Vulnerabilities, and returns what the matcher could not do as notices naming
// the image (advisories with only GIT ranges, ecosystems without a version order,
// records it could not evaluate), a failure of the database as an input error, and a
// panic of the matcher as an internal error.
func MatchImage(ctx context.Context, adv vuln.Advisories, name string, info *inventory.ImageInfo) (notices []finding.Notice, errs []finding.InputError, intern []finding.InternalError) {
	defer func() {
		if v := recover(); v != nil {
			loc := imageOrigin(name)
			intern = append(intern, finding.InternalError{Location: &loc, Message: "matching the vulnerability database: " + finding.Recovered(v)})
		}
	}()
	res, err := match(ctx, adv, &info.Software)
	if err != nil {
		return nil, []finding.InputError{{Location: imageOrigin(name), Message: "matching the vulnerability database: " + err.Error()}}, nil
	}
	info.Vulnerabilities = res
	return matchNotices(name, res), nil, nil
}

// matchNotices are the notices of what a match left undone.
func matchNotices(name string, res *vuln.Result) []finding.Notice {
	if res == nil {
		return nil
	}
	var out []finding.Notice
	add := func(format string, args ...any) {
		out = append(out, finding.Notice{Location: imageOrigin(name), Message: fmt.Sprintf(format, args...)})
	}
	for _, ne := range res.NotEvaluated {
		what := "a package"
		if p := ne.Package; p != nil {
			what = fmt.Sprintf("%s %s %s", p.Ecosystem, p.Name, p.Version)
		}
		reason := ne.Reason
		if reason == "" {
			reason = "the advisory gives only GIT (commit) ranges"
		}
		add("vulnerability %s of %s not evaluated: %s", strings.Join(ne.IDs, ", "), what, reason)
	}
	ecos := make([]software.Ecosystem, 0, len(res.Unsupported))
	for e := range res.Unsupported {
		ecos = append(ecos, e)
	}
	sort.Slice(ecos, func(i, j int) bool { return ecos[i] < ecos[j] })
	for _, e := range ecos {
		n := res.Unsupported[e]
		noun := "packages have"
		if n == 1 {
			noun = "package has"
		}
		add("%d %s %s advisories that were not matched: Palisade has no version order for %s", n, e, noun, e)
	}
	for _, p := range res.Problems {
		add("vulnerability database: %s", p)
	}
	return out
}

// VulnDB is the vulnerability database a scan matches images against (--db,
// --max-db-age, --fail-on-stale-db): opened read-only for the read, closed after it.
type VulnDB struct {
	// Path is the database file.
	Path string
	// Required says the path was named (--db): a missing database is then an
	// error; otherwise (the default path) it is a notice and nothing is matched.
	Required bool
	// MaxAge is the age past which a source is stale (0: never).
	MaxAge time.Duration
	// FailOnStale makes a stale source an input error (exit 3) instead of a notice.
	FailOnStale bool
	// Now is the clock the age is judged against (default time.Now).
	Now func() time.Time
}

// ErrNoDatabase is the error of a required database that does not exist.
var ErrNoDatabase = errors.New("no vulnerability database")

// open opens the database: nil (and a notice) when the default one does not exist;
// stale sources are notices, or input errors with FailOnStale.
func (d *VulnDB) open() (db *vulndb.DB, notices []finding.Notice, errs []finding.InputError, err error) {
	missing := func() ([]finding.Notice, error) {
		if d.Required {
			return nil, fmt.Errorf("%w at %s: import advisories with `palisade db import PATH... --db %s`", ErrNoDatabase, d.Path, d.Path)
		}
		// The default path is in the user's home: written from "~", the notice reads
		// the same on every machine (CI logs, documentation).
		return []finding.Notice{{Location: finding.Location{File: HomeRelative(d.Path)}, Message: "no vulnerability database: images are not matched against known vulnerabilities; run palisade db import to create it"}}, nil
	}
	if d.Path == "" {
		n, err := missing()
		return nil, n, nil, err
	}
	if _, serr := os.Stat(d.Path); errors.Is(serr, os.ErrNotExist) {
		n, err := missing()
		return nil, n, nil, err
	}
	db, err = vulndb.Open(d.Path, vulndb.Options{ReadOnly: true})
	if errors.Is(err, vulndb.ErrNotExist) {
		n, err := missing()
		return nil, n, nil, err
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("vulnerability database %s: %w", d.Path, err)
	}
	sources, err := db.Sources()
	if err != nil {
		db.Close()
		return nil, nil, nil, fmt.Errorf("vulnerability database %s: %w", d.Path, err)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	notices, errs = staleness(d.Path, sources, now(), d.MaxAge, d.FailOnStale)
	return db, notices, errs, nil
}

// HomeRelative writes a path under the user's home directory from "~/", so that
// messages read the same on every machine (CI logs, documentation).
func HomeRelative(path string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || !filepath.IsAbs(home) {
		return path
	}
	if rel, ok := strings.CutPrefix(path, strings.TrimSuffix(home, string(filepath.Separator))+string(filepath.Separator)); ok && rel != "" {
		return "~" + string(filepath.Separator) + rel
	}
	return path
}

// staleness judges the age of each source of the database at path: past maxAge, a
// notice, or with fail an input error; a database with no source is a notice.
func staleness(path string, sources []vulndb.Source, now time.Time, maxAge time.Duration, fail bool) ([]finding.Notice, []finding.InputError) {
	loc := finding.Location{File: HomeRelative(path)}
	if len(sources) == 0 {
		return []finding.Notice{{Location: loc, Message: "the vulnerability database holds no advisories: run palisade db import"}}, nil
	}
	var notices []finding.Notice
	var errs []finding.InputError
	if maxAge <= 0 {
		return nil, nil
	}
	for i := range sources {
		s := &sources[i]
		age := s.Age(now)
		if age <= maxAge {
			continue
		}
		msg := fmt.Sprintf("vulnerability database source %s is %s old (newest advisory %s), older than --max-db-age %s: import it again",
			s.Name, FormatAge(age), s.Newest.UTC().Format(time.DateOnly), FormatAge(maxAge))
		if fail {
			errs = append(errs, finding.InputError{Location: loc, Message: msg + " (--fail-on-stale-db)"})
		} else {
			notices = append(notices, finding.Notice{Location: loc, Message: msg})
		}
	}
	return notices, errs
}

// FormatAge writes an age in days and hours ("9d", "2d3h", "5h", "40m").
func FormatAge(d time.Duration) string {
	if d < time.Hour {
		return d.Round(time.Minute).String()
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	switch {
	case days == 0:
		return fmt.Sprintf("%dh", hours)
	case hours == 0:
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, hours)
}
