package source

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/history"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/load"
)

// GitHistory reads the files that the commits of a git history added or changed
// (internal/history): the history of the repository that holds Paths, limited to
// the files under them that a scan of the working tree reads. Each distinct file
// content is read once, as documents alone: charts and overlays are not rendered.
// Objects are located at the file's path, with Provenance FromHistory and the
// commit that added the content.
//
// A file that does not parse (old commits often hold broken YAML) is a notice, not
// an input error: the history is what it is, and the working tree is judged by the
// scan of the files. Result.History counts what was read.
type GitHistory struct {
	// Paths are the scanned paths; they must all be in one git repository.
	Paths []string
	// Range is the commits to read ("" or "HEAD": every commit reachable from
	// HEAD; "A..B"; see history.ParseRange).
	Range string
	// Namespace is the namespace of objects that name none.
	Namespace string
	// Limits bound what one file may cost, as for files on disk.
	Limits load.Limits
	// Progress, if set, receives a line that counts the commits read, rewritten in
	// place (for a terminal).
	Progress io.Writer
	// Flush, if set, receives the objects of each file as soon as they are read
	// (after Needs.Visit), and they are not kept in the Result's inventory: a
	// consumer that judges each file alone (the Local rules of a scan of history)
	// keeps memory bounded on long histories.
	Flush func(inv *inventory.Inventory)
}

// HistoryRead is what a read of a git history covered.
type HistoryRead struct {
	// Range is the range read, as given ("HEAD" by default).
	Range string
	// Commits is the number of commits read; Files the file contents read; Unreadable
	// those that did not parse (each a notice).
	Commits, Files, Unreadable int
}

// Describe implements Source.
func (g *GitHistory) Describe() string { return "the git history of " + Describe(g.Paths) }

// progressEvery is the least time between two progress lines.
const progressEvery = 200 * time.Millisecond

// maxHistoryNotices bounds the notices a history read gives about files that do not
// parse (old commits often hold many); the summary counts them all.
const maxHistoryNotices = 20

// Read implements Source. A history that cannot be read at all (no repository, a
// range that names no commit) is an error (*history.Error). When ctx ends the read
// stops: the Result holds what was read, with an input error that says the history
// was not read to the end.
func (g *GitHistory) Read(ctx context.Context, n Needs) (*Result, error) {
	repo, err := history.Open(g.Paths)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	rng := g.Range
	if rng == "" {
		rng = "HEAD"
	}
	if _, err := history.ParseRange(rng); err != nil {
		return nil, err
	}
	res := &Result{Inventory: &inventory.Inventory{}, History: &HistoryRead{Range: rng}}
	opts := n.loadOptions(load.Options{Namespace: g.Namespace, Limits: g.Limits})
	dropped := 0
	unreadable := func(errs []finding.InputError) {
		if len(errs) == 0 {
			return
		}
		res.History.Unreadable++
		for _, e := range errs {
			if len(res.Notices) < maxHistoryNotices {
				res.Notices = append(res.Notices, finding.Notice{Location: e.Location, Message: "in the git history, not read: " + e.Message})
			} else {
				dropped++
			}
		}
	}
	var last time.Time
	progress := func(done, total int) {
		if g.Progress == nil || (done < total && time.Since(last) < progressEvery) {
			return
		}
		last = time.Now()
		fmt.Fprintf(g.Progress, "\rpalisade: git history: %d/%d commits", done, total)
		if done == total {
			fmt.Fprintln(g.Progress)
		}
	}
	var st history.Stats
	walk := func(each func(history.File) error) {
		// A repository is input: a panic reading it (a corrupt object go-git does
		// not refuse) is an internal error, and the scan of the working tree stands.
		defer func() {
			if v := recover(); v != nil {
				res.Internal = append(res.Internal, finding.InternalError{Location: &finding.Location{File: repo.Root, Provenance: finding.FromHistory},
					Message: "reading the git history: " + finding.Recovered(v)})
				err = nil
			}
		}()
		st, err = repo.Walk(ctx, history.Options{Range: rng, Readable: load.Readable, SkipDir: load.SkipDir, Progress: progress}, each)
	}
	walk(func(f history.File) error {
		rc, err := f.Open()
		base := finding.Location{File: f.Path, Provenance: finding.FromHistory, Commit: f.Commit}
		if err != nil {
			unreadable([]finding.InputError{{Location: base, Message: err.Error()}})
			return nil
		}
		lr := load.Stream(base, rc, opts)
		rc.Close()
		if g.Flush != nil {
			g.Flush(lr.Inventory)
		} else {
			res.Inventory.Objects = append(res.Inventory.Objects, lr.Inventory.Objects...)
		}
		unreadable(lr.Errors)
		res.Internal = append(res.Internal, lr.Internal...)
		return nil
	})
	res.History.Commits, res.History.Files, res.Inputs = st.Commits, st.Files, st.Files
	if dropped > 0 {
		res.Notices = append(res.Notices, finding.Notice{Location: finding.Location{File: repo.Root, Provenance: finding.FromHistory},
			Message: fmt.Sprintf("in the git history, %d more problems in files that did not parse are not listed (%d files did not parse)", dropped, res.History.Unreadable)})
	}
	if err != nil {
		if ctx.Err() == nil {
			return nil, err
		}
		if g.Progress != nil && st.Total > 0 {
			fmt.Fprintln(g.Progress)
		}
		res.Errors = append(res.Errors, finding.InputError{
			Location: finding.Location{File: repo.Root, Provenance: finding.FromHistory},
			Message:  fmt.Sprintf("git history read interrupted after %d of %d commits: %v", st.Commits, st.Total, err),
		})
	}
	return res, nil
}
