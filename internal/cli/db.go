package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/vulndb"
)

// dbFlags are the flags every db subcommand shares.
type dbFlags struct {
	path string
}

func newDB(stdout, stderr io.Writer) *cobra.Command {
	var f dbFlags
	c := &cobra.Command{
		Use:   "db",
		Short: "Manage the local vulnerability database: import OSV advisories, show its state, export a bundle",
		Long: `The vulnerability database is a local file of advisories in the OSV format (osv.dev's
exports, GitHub Security Advisories, the Go vulnerability database, distributions'
feeds), read by palisade image, scan --images and cluster --images. Nothing is
downloaded: fetch the files yourself (for example osv.dev's per-ecosystem all.zip) and
import them; carry the database across an air gap with db export and db import.`,
		Args: cobra.NoArgs,
	}
	c.PersistentFlags().StringVar(&f.path, "db", vulndb.DefaultPath(), "vulnerability database file")
	c.AddCommand(newDBImport(&f, stderr), newDBStatus(&f, stdout, stderr), newDBExport(&f, stdout, stderr))
	return c
}

func newDBImport(f *dbFlags, stderr io.Writer) *cobra.Command {
	var source string
	c := &cobra.Command{
		Use:   "import PATH...",
		Short: "Import OSV advisories (zip exports, directories, files) or a bundle",
		Long: `Import OSV records into the vulnerability database: OSV zip exports (osv.dev's
<ecosystem>/all.zip), directories (walked for *.json), single JSON records, or a
bundle written by palisade db export (imported alone; its content digest is checked
and its SHA-256 printed, to compare with what export printed).

Each path belongs to a source: --source NAME, else the ecosystem of an osv.dev
export, else the directory or file name. Importing a source again replaces all its
records at once; other sources stay. A record that cannot be read is reported with
its file (and zip entry, and line) and skipped; a source with a path that cannot be
read (missing, a truncated download) or without any valid record is left as it was.

Progress goes to standard error: redrawn on a terminal, else one summary line.

Exit codes: 0 imported; 2 usage error, or the database cannot be opened; 3 some
records were skipped, or a path or bundle could not be read (a bundle that fails
its digest imports nothing).`,
		Example: `  curl -fsSLO https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip
  palisade db import all.zip
  palisade db import ./advisories --source internal
  palisade db import vulndb-bundle.zip --db /var/lib/palisade/vulndb.db`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if source != "" {
				if err := vulndb.ValidSourceName(source); err != nil {
					safetext.Fprintln(stderr, "palisade: --source:", err)
					return exitError{ExitUsage}
				}
			}
			db, err := vulndb.Open(f.path, vulndb.Options{})
			if err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			defer db.Close()
			prog := &importProgress{w: stderr, live: isTerminal(stderr)}
			sum, err := db.Import(cmd.Context(), args, vulndb.ImportOptions{Source: source, Progress: prog.update})
			prog.clear()
			if err != nil {
				safetext.Fprintln(stderr, "palisade: import:", err)
				return exitError{ExitInputErrors}
			}
			writeImportSummary(stderr, db, sum)
			if sum.Malformed > 0 {
				return exitError{ExitInputErrors}
			}
			return nil
		},
	}
	c.Flags().StringVar(&source, "source", "", "name of the source of every PATH (default: the ecosystem of an osv.dev export, else the directory or file name)")
	return c
}

// importProgress draws an import's progress on a terminal: one line, redrawn.
type importProgress struct {
	w     io.Writer
	live  bool
	drawn bool
}

func (p *importProgress) update(pr vulndb.Progress) {
	if !p.live || pr.Done {
		return
	}
	safetext.Fprintf(p.w, "\r\x1b[Kimporting %s: %s, %s", filepath.Base(pr.Path), plural(pr.Files, "file"), plural(pr.Records, "record"))
	if pr.Malformed > 0 {
		fmt.Fprintf(p.w, ", %d skipped", pr.Malformed)
	}
	p.drawn = true
}

// clear erases the progress line before the summary.
func (p *importProgress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// writeImportSummary writes the problems, then one line: what was imported where.
func writeImportSummary(w io.Writer, db *vulndb.DB, sum *vulndb.ImportSummary) {
	for _, p := range sum.Problems {
		safetext.Fprintln(w, "palisade: skipped:", p.Error())
	}
	if more := sum.Malformed - len(sum.Problems); more > 0 {
		fmt.Fprintf(w, "palisade: skipped: %d more\n", more)
	}
	if sum.Bundle != "" {
		fmt.Fprintf(w, "palisade: bundle sha256 %s; content digest %s verified\n", sum.BundleSHA256, sum.Bundle)
	}
	names := make([]string, len(sum.Sources))
	for i, s := range sum.Sources {
		names[i] = s.Name
	}
	into := "no source changed"
	if len(names) == 1 {
		into = "into source " + names[0]
	} else if len(names) > 1 {
		into = "into sources " + strings.Join(names, ", ")
	}
	line := fmt.Sprintf("palisade: imported %s (%d withdrawn) from %s %s", plural(sum.Records, "record"), sum.Withdrawn, plural(sum.Files, "file"), into)
	if sum.Malformed > 0 {
		line += fmt.Sprintf("; %d skipped", sum.Malformed)
	}
	if fi, err := os.Stat(db.Path()); err == nil {
		line += fmt.Sprintf(" (%s, %s)", source.HomeRelative(db.Path()), mebibytes(fi.Size()))
	}
	safetext.Fprintln(w, line)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// mebibytes is a size for people.
func mebibytes(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// openExisting opens the database read-only, saying how to create a missing one.
func (f *dbFlags) openExisting(stderr io.Writer) (*vulndb.DB, error) {
	db, err := vulndb.Open(f.path, vulndb.Options{ReadOnly: true})
	if errors.Is(err, vulndb.ErrNotExist) {
		safetext.Fprintf(stderr, "palisade: no vulnerability database at %s: run palisade db import\n", f.path)
		return nil, exitError{ExitUsage}
	}
	if err != nil {
		safetext.Fprintln(stderr, "palisade:", err)
		return nil, exitError{ExitUsage}
	}
	return db, nil
}

// statusSource is a source in db status -o json.
type statusSource struct {
	vulndb.Source
	AgeSeconds int64 `json:"ageSeconds"`
}

func newDBStatus(f *dbFlags, stdout, stderr io.Writer) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "status",
		Short: "Show each source of the vulnerability database: records, age, size",
		Long: `Show the vulnerability database and each of its sources: records (withdrawn
ones included, and how many are withdrawn), ecosystems, the newest "modified" time
of its records and its age (what --max-db-age judges), when it was imported, and the
size of its records.`,
		Example: `  palisade db status
  palisade db status -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if format != "text" && format != "json" {
				safetext.Fprintf(stderr, "palisade: -o %s: want text or json\n", format)
				return exitError{ExitUsage}
			}
			db, err := f.openExisting(stderr)
			if err != nil {
				return err
			}
			defer db.Close()
			sources, err := db.Sources()
			if err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			var size int64
			if fi, err := os.Stat(db.Path()); err == nil {
				size = fi.Size()
			}
			now := time.Now()
			if format == "json" {
				out := struct {
					Path          string         `json:"path"`
					SchemaVersion int            `json:"schemaVersion"`
					Bytes         int64          `json:"bytes"`
					Sources       []statusSource `json:"sources"`
				}{db.Path(), vulndb.SchemaVersion, size, []statusSource{}}
				for _, s := range sources {
					out.Sources = append(out.Sources, statusSource{s, int64(s.Age(now).Seconds())})
				}
				enc := json.NewEncoder(safetext.JSONWriter(stdout))
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			writeStatus(stdout, db.Path(), size, sources, now)
			return nil
		},
	}
	c.Flags().StringVarP(&format, "output", "o", "text", "output format: text or json")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion([]string{"text", "json"}))
	return c
}

// writeStatus writes the text status: the file, then a table of the sources.
func writeStatus(w io.Writer, path string, size int64, sources []vulndb.Source, now time.Time) {
	safetext.Fprintf(w, "Vulnerability database %s (schema %d, %s)\n", source.HomeRelative(path), vulndb.SchemaVersion, mebibytes(size))
	if len(sources) == 0 {
		fmt.Fprintln(w, "No sources: run palisade db import PATH.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tRECORDS\tWITHDRAWN\tECOSYSTEMS\tNEWEST\tAGE\tIMPORTED\tSIZE")
	for _, s := range sources {
		newest, age := "-", "-"
		if !s.Newest.IsZero() {
			newest, age = s.Newest.UTC().Format("2006-01-02"), ageText(s.Age(now))
		}
		safetext.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Records, s.Withdrawn, ecosystemsText(s.Ecosystems),
			newest, age, s.ImportedAt.UTC().Format("2006-01-02 15:04 UTC"), mebibytes(s.Bytes))
	}
	tw.Flush()
}

// ecosystemsText lists a source's ecosystems, the most records first (five at most).
func ecosystemsText(m map[string]int) string {
	names := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	if len(names) == 0 {
		return "-"
	}
	more := ""
	if len(names) > 5 {
		more = fmt.Sprintf(" +%d more", len(names)-5)
		names = names[:5]
	}
	return strings.Join(names, ",") + more
}

// ageText is an age for people: minutes, hours under two days, else days.
func ageText(d time.Duration) string {
	switch {
	case d < 0:
		return "0m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

func newDBExport(f *dbFlags, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "export FILE",
		Short: "Write the whole vulnerability database as one verifiable bundle",
		Long: `Write every source of the vulnerability database (records and metadata) to FILE, a
bundle that palisade db import reads on another machine, for instance across an air
gap. The bundle's manifest holds a SHA-256 content digest that import checks: a
changed, added or removed record is refused. Standard output gets the SHA-256 of the
file itself in sha256sum's format: compare it on the other side (import prints it
too), since whoever can change the bundle could also rewrite its manifest.`,
		Example: `  palisade db export vulndb-bundle.zip > vulndb-bundle.zip.sha256
  sha256sum -c vulndb-bundle.zip.sha256
  palisade db import vulndb-bundle.zip`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := f.openExisting(stderr)
			if err != nil {
				return err
			}
			defer db.Close()
			file := args[0]
			tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
			if err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			defer os.Remove(tmp.Name())
			h := sha256.New()
			digest, err := db.Export(cmd.Context(), io.MultiWriter(tmp, h))
			if err == nil {
				err = tmp.Chmod(0o644)
			}
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Rename(tmp.Name(), file)
			}
			if err != nil {
				safetext.Fprintln(stderr, "palisade: export:", err)
				return exitError{ExitUsage}
			}
			sources, _ := db.Sources()
			records := 0
			for _, s := range sources {
				records += s.Records
			}
			sum := hex.EncodeToString(h.Sum(nil))
			safetext.Fprintf(stderr, "palisade: exported %s (%s) to %s: content digest %s, file sha256 %s\n", plural(len(sources), "source"), plural(records, "record"), file, digest, sum)
			safetext.Fprintf(stdout, "%s  %s\n", sum, filepath.Base(file))
			return nil
		},
	}
}
