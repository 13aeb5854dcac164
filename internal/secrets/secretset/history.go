package secretset

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

// historyServices is how many generated manifests the history's repository holds.
const historyServices = 40

// historyRound is how many commits each round of generated values spans: a long
// history gets a fresh draw of the catalogue every historyRound commits.
const historyRound = 500

// WriteHistory creates a git repository in dir (created if needed) with commits
// commits on branch main: an import of generated manifests (a Deployment and a
// ConfigMap per service) and a .env, then ordinary edits (image tags, replica
// counts), among which credentials and look-alikes are added to a ConfigMap or the
// .env file and removed a few commits later. The working tree is left at the last
// commit, which holds none of them. The labels name the commit that added each value,
// its file and line there; Location is LocHistory.
func WriteHistory(dir string, commits int, seed uint64) (Labels, error) {
	if commits < 3 {
		return nil, fmt.Errorf("secretset: a history needs at least 3 commits, not %d", commits)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return nil, err
	}
	// Objects are built in memory and written as one packfile at the end: loose
	// objects would cost a file each.
	h := &history{st: memory.NewStorage(), files: map[string][]string{}, trees: map[string]plumbing.Hash{}, written: map[plumbing.Hash]bool{}}
	for i := 0; i < historyServices; i++ {
		h.files[servicePath(i)] = serviceManifest(i)
	}
	h.files[".env"] = []string{"# settings of the local stack", "APP_ENV=development", "PORT=8080"}
	if err := h.commit("import the shop manifests", ""); err != nil {
		return nil, err
	}
	// The schedule: values of round r are added and removed within that round's
	// commits, one at a time, each staying for half a step.
	g := newGen(seed)
	type event struct {
		v   value
		add bool
		at  int
	}
	var events []event
	for start := 1; start < commits; start += historyRound {
		end := min(start+historyRound, commits)
		var vals []value
		for _, v := range g.catalogue() {
			if !v.shell && !v.multiline() {
				vals = append(vals, v)
			}
		}
		step := (end - start) / len(vals)
		if step < 2 {
			vals = vals[:(end-start)/2]
			step = 2
		}
		for k, v := range vals {
			events = append(events, event{v, true, start + k*step}, event{v, false, start + k*step + step/2})
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].at < events[j].at })
	var labels Labels
	next := 0
	for c := 1; c < commits; c++ {
		if next < len(events) && events[next].at == c {
			e := events[next]
			next++
			file := ".env"
			line := e.v.key + "=" + e.v.text
			if c%3 != 0 {
				file = servicePath(c % historyServices)
				line = "  " + e.v.key + ": " + sq(e.v.text)
			}
			if e.add {
				h.files[file] = append(h.files[file], line)
				lbl := Label{File: file, Line: len(h.files[file]), Rule: e.v.rule, Format: e.v.format, Location: LocHistory}
				if err := h.commit("configure "+strings.ToLower(e.v.key), file); err != nil {
					return nil, err
				}
				lbl.Commit = h.head.String()
				labels = append(labels, lbl)
				continue
			}
			// The removal: take the value out of whichever file holds it.
			for f, lines := range h.files {
				for i, l := range lines {
					if l == line || strings.HasSuffix(l, sq(e.v.text)) || strings.HasSuffix(l, "="+e.v.text) {
						h.files[f] = append(lines[:i:i], lines[i+1:]...)
						file = f
						break
					}
				}
			}
			if err := h.commit("move "+strings.ToLower(e.v.key)+" to the secret store", file); err != nil {
				return nil, err
			}
			continue
		}
		svc := c % historyServices
		p := servicePath(svc)
		h.files[p] = editService(h.files[p], c)
		if err := h.commit(fmt.Sprintf("svc-%02d: release 1.%d.%d", svc, c/100, c%100), p); err != nil {
			return nil, err
		}
	}
	pw, ok := repo.Storer.(storer.PackfileWriter)
	if !ok {
		return nil, fmt.Errorf("secretset: the repository's storage cannot take a packfile")
	}
	w, err := pw.PackfileWriter()
	if err != nil {
		return nil, err
	}
	if _, err := packfile.NewEncoder(w, h.st, false).Encode(h.hashes, 0); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	ref := plumbing.NewHashReference(plumbing.NewBranchReferenceName("main"), h.head)
	if err := repo.Storer.SetReference(ref); err != nil {
		return nil, err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	if err := wt.Reset(&git.ResetOptions{Commit: h.head, Mode: git.HardReset}); err != nil {
		return nil, err
	}
	labels.sort()
	return labels, nil
}

func servicePath(i int) string { return fmt.Sprintf("deploy/svc-%02d.yaml", i) }

func serviceManifest(i int) []string {
	name := fmt.Sprintf("svc-%02d", i)
	return append(deploymentHead(name),
		"      - name: "+name,
		"        image: registry.example.com/shop/"+name+":1.0.0",
		"        replicas: 1",
		"        envFrom:",
		"        - configMapRef: {name: "+name+"}",
		"---",
		"apiVersion: v1",
		"kind: ConfigMap",
		"metadata:",
		"  name: "+name,
		"  namespace: shop",
		"data:",
		"  LOG_LEVEL: info",
	)
}

// editService is an ordinary change: a new image tag, and now and then a new
// replica count (the field is misplaced on purpose: it is only text to change).
func editService(lines []string, c int) []string {
	out := append([]string(nil), lines...)
	for i, l := range out {
		switch {
		case strings.HasPrefix(l, "        image: "):
			out[i] = l[:strings.LastIndex(l, ":")+1] + fmt.Sprintf("1.%d.%d", c/100, c%100)
		case strings.HasPrefix(l, "        replicas: ") && c%7 == 0:
			out[i] = fmt.Sprintf("        replicas: %d", 1+c%5)
		}
	}
	return out
}

// history writes commits object by object: a blob for the changed file, the trees
// above it, and the commit, without a worktree or an index.
type history struct {
	st *memory.Storage
	// hashes lists every object once, in the order written.
	hashes  []plumbing.Hash
	written map[plumbing.Hash]bool
	files   map[string][]string
	// trees caches the hash of each directory's tree ("" is the root).
	trees map[string]plumbing.Hash
	blobs map[string]plumbing.Hash
	head  plumbing.Hash
	n     int
}

func (h *history) put(o interface {
	Encode(plumbing.EncodedObject) error
}) (plumbing.Hash, error) {
	obj := h.st.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return h.set(obj)
}

func (h *history) set(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	hash, err := h.st.SetEncodedObject(obj)
	if err == nil && !h.written[hash] {
		h.written[hash] = true
		h.hashes = append(h.hashes, hash)
	}
	return hash, err
}

func (h *history) blob(content string) (plumbing.Hash, error) {
	obj := h.st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write([]byte(content)); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return h.set(obj)
}

// commit records the current files; changed names the one file that changed since
// the last commit ("" writes every file).
func (h *history) commit(msg, changed string) error {
	if h.blobs == nil {
		h.blobs = map[string]plumbing.Hash{}
	}
	for p, lines := range h.files {
		if changed != "" && p != changed {
			continue
		}
		b, err := h.blob(strings.Join(lines, "\n") + "\n")
		if err != nil {
			return err
		}
		h.blobs[p] = b
	}
	// Two levels: the root holds files and directories of files.
	dirs := map[string][]object.TreeEntry{}
	for p, b := range h.blobs {
		d, name := "", p
		if i := strings.LastIndex(p, "/"); i >= 0 {
			d, name = p[:i], p[i+1:]
		}
		dirs[d] = append(dirs[d], object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: b})
	}
	for d, entries := range dirs {
		if d == "" {
			continue
		}
		if changed != "" && !strings.HasPrefix(changed, d+"/") {
			dirs[""] = append(dirs[""], object.TreeEntry{Name: d, Mode: filemode.Dir, Hash: h.trees[d]})
			continue
		}
		sort.Sort(object.TreeEntrySorter(entries))
		t, err := h.put(&object.Tree{Entries: entries})
		if err != nil {
			return err
		}
		h.trees[d] = t
		dirs[""] = append(dirs[""], object.TreeEntry{Name: d, Mode: filemode.Dir, Hash: t})
	}
	root := dirs[""]
	sort.Slice(root, func(i, j int) bool { return gitName(root[i]) < gitName(root[j]) })
	tree, err := h.put(&object.Tree{Entries: root})
	if err != nil {
		return err
	}
	when := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC).Add(time.Duration(h.n) * 17 * time.Minute)
	sig := object.Signature{Name: "Shop Developer", Email: "dev@shop.example.com", When: when}
	c := &object.Commit{Author: sig, Committer: sig, Message: msg + "\n", TreeHash: tree}
	if !h.head.IsZero() {
		c.ParentHashes = []plumbing.Hash{h.head}
	}
	hash, err := h.put(c)
	if err != nil {
		return err
	}
	h.head = hash
	h.n++
	return nil
}

// gitName is the name git sorts a tree entry by: a directory as if it ended in "/".
func gitName(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}
