// Package history reads the history of the git repository that holds the scanned
// paths, in pure Go (go-git; no git binary): the commits of a range, oldest first,
// and for each the files it added or changed against its first parent, every
// distinct file content once. It decides nothing about what the files hold: the
// input layer (internal/source) parses them and the rules judge them.
//
// Memory stays bounded on large histories: commits are read one at a time; what is
// kept is one small record per commit of the range (its hash, parents and date, to
// order them) and the set of file contents already yielded.
package history

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/utils/merkletrie"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// Repository is a git repository and the paths of it a scan reads.
type Repository struct {
	repo  *git.Repository
	close func() error
	// Root is the repository's work tree (absolute, links resolved).
	Root  string
	scope []scope
}

// scope is one scanned path: its place in the repository ("" for the whole tree,
// slash-separated) and the name the user gave it, which a file under it is named
// after (as a walk of the working tree names it).
type scope struct {
	prefix string
	dir    bool
	name   string
}

// Error is a history that cannot be read as asked: no repository, paths in two
// repositories, a range that names no commit.
type Error struct{ Msg string }

func (e *Error) Error() string { return "--git-history: " + e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Open finds the repository that holds every path (walking up from each to the
// directory with .git) and opens it. All paths must be in the same repository.
func Open(paths []string) (*Repository, error) {
	if len(paths) == 0 {
		return nil, errorf("no path to read the history of")
	}
	r := &Repository{}
	for _, p := range paths {
		if p == "-" {
			return nil, errorf("standard input has no git history: name the files or directories to read")
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, errorf("%s: %v", p, err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, errorf("%s: %v", p, err)
		}
		st, err := os.Stat(real)
		if err != nil {
			return nil, errorf("%s: %v", p, err)
		}
		root := findRoot(real)
		if root == "" {
			return nil, errorf("%s is not in a git repository (no .git in it or any directory above it)", p)
		}
		if r.Root == "" {
			r.Root = root
		} else if root != r.Root {
			return nil, errorf("%s is in the repository %s, not in %s: scan the history of one repository at a time", p, root, r.Root)
		}
		rel, err := filepath.Rel(root, real)
		if err != nil {
			return nil, errorf("%s: %v", p, err)
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			rel = ""
		}
		r.scope = append(r.scope, scope{prefix: rel, dir: st.IsDir(), name: p})
	}
	repo, err := git.PlainOpenWithOptions(r.Root, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, errorf("opening the repository %s: %v", r.Root, err)
	}
	// Reopen its object store to keep packfiles open between reads (go-git opens
	// the pack again for every object otherwise), with a bounded object cache, and
	// large objects streamed rather than read whole.
	if fst, ok := repo.Storer.(*filesystem.Storage); ok {
		st := filesystem.NewStorageWithOptions(fst.Filesystem(), cache.NewObjectLRU(objectCache), filesystem.Options{
			ExclusiveAccess: true, MaxOpenDescriptors: maxOpenPacks, LargeObjectThreshold: largeObject,
		})
		if reopened, err := git.Open(st, nil); err == nil {
			repo, r.close = reopened, st.Close
		} else {
			st.Close()
		}
	}
	r.repo = repo
	return r, nil
}

// Bounds of the object store: the cache of decoded objects, the packfiles kept
// open, the size above which an object is streamed.
const (
	objectCache  = 64 * cache.MiByte
	maxOpenPacks = 32
	largeObject  = 8 << 20
)

// Close releases the files the repository holds open.
func (r *Repository) Close() error {
	if r.close == nil {
		return nil
	}
	return r.close()
}

// findRoot is the nearest directory at or above dir (or a file's directory) that
// holds .git (a directory, or a file for a linked work tree), or "".
func findRoot(p string) string {
	for {
		if _, err := os.Lstat(filepath.Join(p, ".git")); err == nil {
			return p
		}
		parent := filepath.Dir(p)
		if parent == p {
			return ""
		}
		p = parent
	}
}

// name is the name a scan of the working tree gives the file at the repository path
// p, and whether p is under a scanned path at all. Files in directories a walk skips
// (skipDir; nil: hidden ones) below a scanned directory are left out, as a walk
// leaves them out.
func (r *Repository) name(p string, skipDir func(string) bool) (string, bool) {
	for _, s := range r.scope {
		if !s.dir {
			if p == s.prefix {
				return s.name, true
			}
			continue
		}
		rest := p
		if s.prefix != "" {
			var ok bool
			if rest, ok = strings.CutPrefix(p, s.prefix+"/"); !ok {
				continue
			}
		}
		if dir := path.Dir(rest); dir != "." && skipped(dir, skipDir) {
			continue
		}
		return filepath.Join(s.name, filepath.FromSlash(rest)), true
	}
	return "", false
}

// skipped reports whether a slash-separated directory path has a component that
// skipDir skips (nil: one that starts with a dot).
func skipped(dir string, skipDir func(string) bool) bool {
	for _, c := range strings.Split(dir, "/") {
		if skipDir != nil && skipDir(c) || skipDir == nil && strings.HasPrefix(c, ".") {
			return true
		}
	}
	return false
}

// Options say what to read of a history.
type Options struct {
	// Range is the commits to read (see ParseRange; "" is HEAD).
	Range string
	// Readable says whether a file of this base name is read (nil: every file).
	Readable func(name string) bool
	// SkipDir says whether the files under a directory of this name are left out
	// (nil: hidden directories), as a directory walk leaves them out.
	SkipDir func(name string) bool
	// Progress, if set, is called after each commit with the commits read so far
	// and the commits in the range.
	Progress func(done, total int)
}

// File is a file as one commit added or changed it.
type File struct {
	Commit *finding.Commit
	// Path is the file's name as a scan of the working tree names it.
	Path string
	// Size is the content's size in bytes.
	Size int64
	// Open reads the content.
	Open func() (io.ReadCloser, error)
}

// Stats say what a walk read.
type Stats struct {
	// Commits is the number of commits read; Total the number in the range.
	Commits, Total int
	// Files is the number of file contents yielded.
	Files int
}

// Walk reads the commits of the range oldest first (parents before children; the
// committer date orders commits on parallel branches) and calls each for every file
// a commit adds or changes, compared with its first parent (a root commit: with the
// empty tree), that is under a scanned path and Readable, once per distinct content.
// It stops at the first error of each, or when ctx ends (the error is then ctx's
// cause; Stats say what was read).
func (r *Repository) Walk(ctx context.Context, opts Options, each func(File) error) (Stats, error) {
	var st Stats
	rg, err := ParseRange(opts.Range)
	if err != nil {
		return st, err
	}
	to, err := r.resolve(rg.To)
	if err != nil {
		return st, err
	}
	exclude := map[plumbing.Hash]bool{}
	if rg.From != "" {
		from, err := r.resolve(rg.From)
		if err != nil {
			return st, err
		}
		if err := r.ancestors(ctx, from, func(c *object.Commit) { exclude[c.Hash] = true }); err != nil {
			return st, err
		}
	}
	var nodes []node
	err = r.ancestors(ctx, to, func(c *object.Commit) {
		if exclude[c.Hash] {
			return
		}
		nodes = append(nodes, node{hash: c.Hash, parents: c.ParentHashes, when: c.Committer.When})
	}, exclude)
	if err != nil {
		return st, err
	}
	exclude = nil
	order := topoOrder(nodes)
	nodes = nil
	st.Total = len(order)
	seen := map[plumbing.Hash]struct{}{}
	for i, h := range order {
		if err := ctx.Err(); err != nil {
			return st, context.Cause(ctx)
		}
		c, err := r.repo.CommitObject(h)
		if err != nil {
			return st, fmt.Errorf("reading commit %s: %w", h, err)
		}
		tree, changes, err := r.changes(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				return st, context.Cause(ctx)
			}
			return st, fmt.Errorf("comparing commit %s with its parent: %w", h, err)
		}
		var commit *finding.Commit
		charts := map[string]bool{}
		for _, ch := range changes {
			e := ch.entry
			if e.Mode != filemode.Regular && e.Mode != filemode.Executable && e.Mode != filemode.Deprecated {
				continue
			}
			if opts.Readable != nil && !opts.Readable(path.Base(ch.path)) {
				continue
			}
			name, ok := r.name(ch.path, opts.SkipDir)
			if !ok || inChart(tree, ch.path, charts) {
				continue
			}
			if _, dup := seen[e.Hash]; dup {
				continue
			}
			seen[e.Hash] = struct{}{}
			if commit == nil {
				commit = &finding.Commit{Hash: h.String(), Date: c.Committer.When.UTC(), Order: i}
			}
			f := File{Commit: commit, Path: name}
			blob, err := r.repo.BlobObject(e.Hash)
			switch {
			case errors.Is(err, plumbing.ErrObjectNotFound):
				// A partial clone (--filter=blob:none) lacks old contents: the
				// file is yielded, and reading it says so.
				f.Open = func() (io.ReadCloser, error) {
					return nil, fmt.Errorf("the content %s is not in this clone (a partial clone?)", e.Hash)
				}
			case err != nil:
				return st, fmt.Errorf("reading %s in commit %s: %w", ch.path, h, err)
			default:
				f.Size, f.Open = blob.Size, blob.Reader
			}
			st.Files++
			if err := each(f); err != nil {
				return st, err
			}
		}
		st.Commits++
		if opts.Progress != nil {
			opts.Progress(st.Commits, st.Total)
		}
	}
	return st, nil
}

// change is a file a commit added or changed: its path in the repository and its
// entry in the commit's tree.
type change struct {
	path  string
	entry object.TreeEntry
}

// changes compares a commit's tree with its first parent's (a root commit's, or one
// whose parent a shallow clone lacks, with the empty tree), in the directories of
// the scanned paths only. It returns the commit's tree and the files added or
// changed.
func (r *Repository) changes(ctx context.Context, c *object.Commit) (*object.Tree, []change, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, nil, err
	}
	var parent *object.Tree
	if len(c.ParentHashes) > 0 {
		if pc, err := r.repo.CommitObject(c.ParentHashes[0]); err == nil {
			if parent, err = pc.Tree(); err != nil {
				return nil, nil, err
			}
		} else if !errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, nil, err
		}
	}
	var out []change
	for _, dir := range r.dirs() {
		from, err := subtree(parent, dir)
		if err != nil {
			return nil, nil, err
		}
		to, err := subtree(tree, dir)
		if err != nil {
			return nil, nil, err
		}
		if to == nil || (from != nil && from.Hash == to.Hash) {
			continue
		}
		changes, err := object.DiffTreeWithOptions(ctx, from, to, nil)
		if err != nil {
			return nil, nil, err
		}
		for _, ch := range changes {
			action, err := ch.Action()
			if err != nil || action == merkletrie.Delete {
				continue
			}
			p := ch.To.Name
			if dir != "" {
				p = dir + "/" + p
			}
			out = append(out, change{path: p, entry: ch.To.TreeEntry})
		}
	}
	return tree, out, nil
}

// dirs are the directories of the repository to compare: those of the scanned
// paths (a file's directory), leaving out any below another ("" is the whole tree).
func (r *Repository) dirs() []string {
	var dirs []string
	for _, s := range r.scope {
		d := s.prefix
		if !s.dir {
			if d = path.Dir(d); d == "." {
				d = ""
			}
		}
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	dirs = slices.Compact(dirs)
	var out []string
	for _, d := range dirs {
		if !slices.ContainsFunc(out, func(o string) bool { return o == "" || strings.HasPrefix(d, o+"/") }) {
			out = append(out, d)
		}
	}
	return out
}

// subtree is the tree at dir in t, or nil when t is nil or has no such directory.
func subtree(t *object.Tree, dir string) (*object.Tree, error) {
	if t == nil || dir == "" {
		return t, nil
	}
	e, err := t.FindEntry(dir)
	if err != nil || e.Mode != filemode.Dir {
		// No such directory in this commit (or a file there).
		return nil, nil
	}
	return t.Tree(dir)
}

// inChart reports whether the file at p is a Helm chart's own (its Chart.yaml, a
// template, a file of a subchart) in tree: a scan of the working tree renders the
// chart instead of reading these, and a history is not rendered. isChart caches
// which directories hold a Chart.yaml.
func inChart(tree *object.Tree, p string, isChart map[string]bool) bool {
	dir := path.Dir(p)
	for d := dir; ; d = path.Dir(d) {
		chart, ok := isChart[d]
		if !ok {
			_, err := tree.FindEntry(path.Join(d, "Chart.yaml"))
			chart = err == nil
			isChart[d] = chart
		}
		if chart {
			rest := strings.TrimPrefix(p, d+"/")
			if d == "." {
				rest = p
			}
			return rest == "Chart.yaml" || strings.HasPrefix(rest, "templates/") || strings.HasPrefix(rest, "charts/")
		}
		if d == "." || d == "/" {
			return false
		}
	}
}

// resolve names the commit a revision names.
func (r *Repository) resolve(rev string) (plumbing.Hash, error) {
	h, err := r.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return plumbing.ZeroHash, errorf("%q names no commit of %s: %v", rev, r.Root, err)
	}
	c, err := r.repo.CommitObject(*h)
	if err != nil {
		// An annotated tag names a tag object: its target is the commit.
		if tag, terr := r.repo.TagObject(*h); terr == nil {
			if tc, cerr := tag.Commit(); cerr == nil {
				return tc.Hash, nil
			}
		}
		return plumbing.ZeroHash, errorf("%q is not a commit of %s: %v", rev, r.Root, err)
	}
	return c.Hash, nil
}

// ancestors calls visit on start and every commit reachable from it, each once,
// not descending into the commits of stop (nil: none). Parents a shallow clone
// lacks end the walk there.
func (r *Repository) ancestors(ctx context.Context, start plumbing.Hash, visit func(*object.Commit), stop ...map[plumbing.Hash]bool) error {
	done := map[plumbing.Hash]bool{start: true}
	queue := []plumbing.Hash{start}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		h := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if len(stop) > 0 && stop[0][h] {
			continue
		}
		c, err := r.repo.CommitObject(h)
		if errors.Is(err, plumbing.ErrObjectNotFound) && h != start {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading commit %s: %w", h, err)
		}
		visit(c)
		for _, p := range c.ParentHashes {
			if !done[p] {
				done[p] = true
				queue = append(queue, p)
			}
		}
	}
	return nil
}

// node is what ordering a commit needs.
type node struct {
	hash    plumbing.Hash
	parents []plumbing.Hash
	when    time.Time
}

// topoOrder orders commits parents first; among the commits ready at one point,
// the oldest (committer date, then hash) first. Parents outside the set are ignored.
func topoOrder(nodes []node) []plumbing.Hash {
	index := make(map[plumbing.Hash]int, len(nodes))
	for i, n := range nodes {
		index[n.hash] = i
	}
	pending := make([]int, len(nodes))
	children := make([][]int32, len(nodes))
	for i, n := range nodes {
		for _, p := range n.parents {
			if j, ok := index[p]; ok {
				pending[i]++
				children[j] = append(children[j], int32(i))
			}
		}
	}
	ready := &readyHeap{nodes: nodes}
	for i := range nodes {
		if pending[i] == 0 {
			ready.items = append(ready.items, i)
		}
	}
	heap.Init(ready)
	out := make([]plumbing.Hash, 0, len(nodes))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out = append(out, nodes[i].hash)
		for _, c := range children[i] {
			if pending[c]--; pending[c] == 0 {
				heap.Push(ready, int(c))
			}
		}
	}
	return out
}

type readyHeap struct {
	nodes []node
	items []int
}

func (h *readyHeap) Len() int { return len(h.items) }
func (h *readyHeap) Less(i, j int) bool {
	a, b := &h.nodes[h.items[i]], &h.nodes[h.items[j]]
	if !a.when.Equal(b.when) {
		return a.when.Before(b.when)
	}
	return bytes.Compare(a.hash[:], b.hash[:]) < 0
}
func (h *readyHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *readyHeap) Push(x any)    { h.items = append(h.items, x.(int)) }
func (h *readyHeap) Pop() any {
	n := len(h.items)
	x := h.items[n-1]
	h.items = h.items[:n-1]
	return x
}
