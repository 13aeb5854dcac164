package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/image"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/sbom"
	"github.com/palisade-k8s/palisade/internal/secrets"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/vuln"

	// The catalogers register themselves.
	_ "github.com/palisade-k8s/palisade/internal/software/all"
)

// Images reads container images (internal/image): registry references, OCI layouts
// and archives, root filesystem directories, and SBOM documents (internal/sbom). Each
// image (each platform of an index read with AllPlatforms) becomes one object of
// inventory.ImageKind whose Image holds its configuration, layers and software
// inventory; the consumer's Visit runs on it while its filesystem is open, and the
// filesystem is closed (ImageInfo.Files nil) before Read returns. Images that resolve
// to the same manifest digest are read once.
type Images struct {
	// Refs are image references or paths (image.Open); RootFS root filesystem
	// directories (image.OpenRootFS); SBOMs SBOM documents (sbom.Read).
	Refs, RootFS, SBOMs []string
	// Trust, if set, verifies the images read from registries against the images
	// policy (Inventory.ImageTrust).
	Trust *Trust
	// Options are how images are located and read; Keep and Progress are set by
	// the source (the catalogers' files and the secret candidates are kept).
	Options image.Options
	// Timeout bounds the reading of one image (0: no bound).
	Timeout time.Duration
	// Parallel bounds the images read at once (0: 2).
	Parallel int
	// Cache, if set, is a directory of analysed images keyed by manifest digest: an
	// image found there is not read again (its reference is still resolved).
	Cache string
	// Version is Palisade's version: cache entries of another version are ignored.
	Version string
	// Progress, if set, receives the progress of each image: redrawn in place when
	// Live (a terminal), else one line per image when it is done.
	Progress io.Writer
	Live     bool
	// MaxSBOMBytes bounds an SBOM document (0: 256 MiB).
	MaxSBOMBytes int64

	// Unreadable images are coverage gaps (scan --images) rather than input errors.
	gaps bool
	// workloads are the objects that run each reference (scan --images).
	workloads map[string][]finding.ObjectRef
	// open locates the images of a reference (image.Open; tests replace it).
	open func(ctx context.Context, ref string, o image.Options) ([]located, error)
	// openRootFS locates a root filesystem directory (image.OpenRootFS).
	openRootFS func(dir string) (located, error)
	// Advisories, if set, is the vulnerability database every image's software is
	// matched against (vuln.Match), also for images found in Cache: the result is
	// ImageInfo.Vulnerabilities.
	Advisories vuln.Advisories
	// DB, if set and Advisories is not, is the vulnerability database opened
	// read-only for the read (and closed after it) as Advisories; what opening it
	// says (a missing default database, stale sources) is in the Result.
	DB *VulnDB
}

// located is an image located but not yet read.
type located struct {
	Info *inventory.ImageInfo
	// Read streams the image into its filesystem; close releases it.
	Read func(ctx context.Context, o image.Options) (files inventory.ImageFiles, close func() error, err error)
}

func fromImage(img *image.Image) located {
	return located{Info: &img.ImageInfo, Read: func(ctx context.Context, o image.Options) (inventory.ImageFiles, func() error, error) {
		f, err := img.Read(ctx, o)
		if err != nil {
			return nil, nil, err
		}
		return f, f.Close, nil
	}}
}

func openImage(ctx context.Context, ref string, o image.Options) ([]located, error) {
	imgs, err := image.Open(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	out := make([]located, len(imgs))
	for i, img := range imgs {
		out[i] = fromImage(img)
	}
	return out, nil
}

func openRootFS(dir string) (located, error) {
	img, err := image.OpenRootFS(dir)
	if err != nil {
		return located{}, err
	}
	return fromImage(img), nil
}

// Keep is what the image source keeps of an image's files: what a cataloger reads
// (software.Keep) and the files that may hold a credential (secrets.FileCandidate).
func Keep(name string, mode fs.FileMode, size int64, head []byte) bool {
	return software.Keep(name, mode, size, head) || secrets.FileCandidate(name, size)
}

// Describe implements Source.
func (s *Images) Describe() string {
	all := append(append(append([]string(nil), s.Refs...), s.RootFS...), s.SBOMs...)
	return Describe(all)
}

// imageInput is one input of an Images read.
type imageInput struct {
	name string
	kind int // inputRef, inputRootFS, inputSBOM
}

const (
	inputRef = iota
	inputRootFS
	inputSBOM
)

// imageRead is what reading one input (then one image) produced.
type imageRead struct {
	located []located
	objects []*inventory.Object
	errs    []finding.InputError
	gaps    []finding.CoverageGap
	notices []finding.Notice
	intern  []finding.InternalError
}

// Read implements Source. An image that cannot be located or read is an input error
// naming it (and the layer and entry of a hostile layer); with gaps (scan --images)
// a coverage gap naming it and why. A file a cataloger could not read is an input
// error naming the image and the path. The end of ctx is an *InterruptedError.
func (s *Images) Read(ctx context.Context, n Needs) (*Result, error) {
	var inputs []imageInput
	for _, r := range s.Refs {
		inputs = append(inputs, imageInput{r, inputRef})
	}
	for _, r := range s.RootFS {
		inputs = append(inputs, imageInput{r, inputRootFS})
	}
	for _, r := range s.SBOMs {
		inputs = append(inputs, imageInput{r, inputSBOM})
	}
	res := &Result{Inventory: &inventory.Inventory{}, Inputs: len(inputs)}
	adv := s.Advisories
	if adv == nil && s.DB != nil {
		db, notices, errs, err := s.DB.open()
		if err != nil {
			return nil, err
		}
		res.Notices, res.Errors = append(res.Notices, notices...), append(res.Errors, errs...)
		if db != nil {
			defer db.Close()
			adv = db
		}
	}
	prog := newImageProgress(s.Progress, s.Live)
	defer prog.close()
	// Locate every input (a tag is resolved to its digest), then read each digest
	// once.
	found := make([]imageRead, len(inputs))
	s.parallel(len(inputs), func(i int) { found[i] = s.locate(ctx, inputs[i], prog) })
	if err := ctx.Err(); err != nil {
		return nil, &InterruptedError{Input: s.Describe(), Err: err}
	}
	type job struct {
		loc  located
		name string
		refs []string // the inputs that name it, first first
	}
	var jobs []*job
	byDigest := map[string]*job{}
	for i, r := range found {
		res.Errors = append(res.Errors, r.errs...)
		res.Coverage = append(res.Coverage, r.gaps...)
		res.Notices = append(res.Notices, r.notices...)
		for _, l := range r.located {
			if l.Info.Ref == "" {
				l.Info.Ref = inputs[i].name
			}
			key := l.Info.Digest + "|" + l.Info.Platform
			if j := byDigest[key]; j != nil && l.Info.Digest != "" {
				j.refs = append(j.refs, inputs[i].name)
				continue
			}
			name := inputs[i].name
			if len(r.located) > 1 && l.Info.Platform != "" {
				name += " (" + l.Info.Platform + ")"
			}
			j := &job{loc: l, name: name, refs: []string{inputs[i].name}}
			jobs = append(jobs, j)
			byDigest[key] = j
		}
	}
	reads := make([]imageRead, len(jobs))
	s.parallel(len(jobs), func(i int) {
		j := jobs[i]
		var wl []finding.ObjectRef
		seen := map[finding.ObjectRef]bool{}
		for _, r := range j.refs {
			for _, w := range s.workloads[r] {
				if !seen[w] {
					seen[w] = true
					wl = append(wl, w)
				}
			}
		}
		j.loc.Info.Workloads = wl
		reads[i] = s.analyse(ctx, j.loc, j.name, n, adv, prog)
	})
	if err := ctx.Err(); err != nil {
		return nil, &InterruptedError{Input: s.Describe(), Err: err}
	}
	for _, r := range reads {
		res.Inventory.Objects = append(res.Inventory.Objects, r.objects...)
		res.Errors = append(res.Errors, r.errs...)
		res.Coverage = append(res.Coverage, r.gaps...)
		res.Notices = append(res.Notices, r.notices...)
		res.Internal = append(res.Internal, r.intern...)
	}
	if s.Trust != nil {
		// The images read from registries are verified too (palisade image with an
		// images policy); a path names no repository the policy could match.
		var refs []string
		for _, o := range res.Inventory.Objects {
			if o.Image != nil && o.Image.Source == "registry" {
				refs = append(refs, o.Image.Ref)
			}
		}
		if len(refs) > 0 {
			res.Inventory.ImageTrust = s.Trust.Verify(ctx, refs)
		}
	}
	return res, nil
}

// parallel runs fn(0..n-1) with at most Parallel at once.
func (s *Images) parallel(n int, fn func(i int)) {
	p := s.Parallel
	if p <= 0 {
		p = 2
	}
	sem := make(chan struct{}, p)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}(i)
	}
	wg.Wait()
}

// timeout is ctx bounded by the per-image timeout.
func (s *Images) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.Timeout > 0 {
		return context.WithTimeout(ctx, s.Timeout)
	}
	return context.WithCancel(ctx)
}

// fail records that the image named name could not be read.
func (s *Images) fail(r *imageRead, name string, err error) {
	msg := err.Error()
	var le *image.LayerError
	if errors.As(err, &le) {
		// The location names the image: the message names the layer and entry.
		msg = fmt.Sprintf("layer %s: %v", le.Layer, le.Err)
		if le.Entry != "" {
			msg = fmt.Sprintf("layer %s: entry %q: %v", le.Layer, le.Entry, le.Err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) && s.Timeout > 0 {
		msg = fmt.Sprintf("not read within --image-timeout %s: %s", s.Timeout, msg)
	}
	if s.gaps {
		r.gaps = append(r.gaps, finding.CoverageGap{Kind: finding.ImageKind, APIVersion: finding.ConfigFileAPIVersion, Image: name, Reason: msg})
		return
	}
	r.errs = append(r.errs, finding.InputError{Location: imageOrigin(name), Message: msg})
}

func imageOrigin(name string) finding.Location {
	return finding.Location{File: name, Provenance: finding.FromImage}
}

// locate finds the images of one input.
func (s *Images) locate(ctx context.Context, in imageInput, prog *imageProgress) (r imageRead) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	defer func() {
		switch {
		case len(r.errs) > 0:
			prog.done(in.name, nil, errors.New(r.errs[0].Message))
		case len(r.gaps) > 0:
			prog.done(in.name, nil, errors.New(r.gaps[0].Reason))
		}
	}()
	switch in.kind {
	case inputRef:
		open := s.open
		if open == nil {
			open = openImage
		}
		ls, err := open(ctx, in.name, s.Options)
		if err != nil {
			s.fail(&r, in.name, err)
			return r
		}
		r.located = ls
	case inputRootFS:
		open := s.openRootFS
		if open == nil {
			open = openRootFS
		}
		l, err := open(in.name)
		if err != nil {
			s.fail(&r, in.name, err)
			return r
		}
		if l.Info.Source == "" {
			l.Info.Source = "rootfs"
		}
		r.located = []located{l}
	case inputSBOM:
		info, err := s.readSBOM(in.name)
		if err != nil {
			s.fail(&r, in.name, err)
			return r
		}
		r.located = []located{{Info: info}}
	}
	return r
}

// readSBOM reads an SBOM document as an image with no files.
func (s *Images) readSBOM(file string) (*inventory.ImageInfo, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	max := s.MaxSBOMBytes
	if max <= 0 {
		max = 256 << 20
	}
	if st, err := f.Stat(); err == nil && st.Size() > max {
		return nil, fmt.Errorf("SBOM of %d bytes exceeds the limit of %d bytes", st.Size(), max)
	}
	subj, err := sbom.Read(io.LimitReader(f, max), file)
	if err != nil {
		return nil, err
	}
	return &inventory.ImageInfo{Ref: file, Digest: subj.Digest, Platform: subj.Platform, Source: "sbom", Software: subj.Software}, nil
}

// analyse reads one located image: its filesystem (unless the cache holds it), its
// software and, with adv, its known vulnerabilities, the consumer's Visit while the
// filesystem is open.
func (s *Images) analyse(ctx context.Context, l located, name string, n Needs, adv vuln.Advisories, prog *imageProgress) (r imageRead) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	info := l.Info
	cache := imageCache{dir: s.Cache, version: s.Version}
	cached := false
	if l.Read != nil && s.Cache != "" && info.Digest != "" {
		if c, ok := cache.get(info.Digest, info.Platform); ok {
			info.Config, info.Layers, info.Software, info.Source = c.Config, c.Layers, c.Software, c.Source
			cached = true
			if c.Files != nil {
				info.Files = c.Files
			}
		}
	}
	prog.start(name)
	var closeFS func() error
	if l.Read != nil && !cached {
		o := s.Options
		o.Keep = Keep
		o.Progress = func(p image.Progress) { prog.update(name, p) }
		files, closeFn, err := l.Read(ctx, o)
		if err != nil {
			s.fail(&r, name, err)
			prog.done(name, info, err)
			return r
		}
		info.Files, closeFS = files, closeFn
		info.Software = software.Catalog(ctx, files, files)
		if err := ctx.Err(); err != nil {
			closeFS()
			prog.done(name, info, err)
			s.fail(&r, name, err)
			return r
		}
		fillLayerDiffIDs(info)
		if s.Cache != "" && info.Digest != "" {
			if err := cache.put(info); err != nil {
				r.notices = append(r.notices, finding.Notice{Location: imageOrigin(name), Message: "not cached: " + err.Error()})
			}
		}
	} else if info.Files != nil {
		closeFS = func() error { return nil }
	}
	for _, p := range info.Software.Problems {
		r.errs = append(r.errs, finding.InputError{Location: imageOrigin(name), Message: p.Path + ": " + p.Err})
	}
	if adv != nil {
		notices, errs, intern := MatchImage(ctx, adv, name, info)
		r.notices, r.errs, r.intern = append(r.notices, notices...), append(r.errs, errs...), append(r.intern, intern...)
	}
	o := &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: finding.ConfigFileAPIVersion, Kind: finding.ImageKind, Name: name},
		Origin: imageOrigin(name),
		Body:   map[string]any{"metadata": map[string]any{"name": name}},
		Image:  info,
	}
	prog.found(name, len(info.Software.Packages))
	r.intern = append(r.intern, visitImage(o, n)...)
	if closeFS != nil {
		if err := closeFS(); err != nil {
			r.notices = append(r.notices, finding.Notice{Location: imageOrigin(name), Message: "removing its temporary files: " + err.Error()})
		}
	}
	info.Files = nil
	r.objects = []*inventory.Object{o}
	prog.done(name, info, nil)
	return r
}

// visitImage runs the consumer's hooks on an image object as load does on a parsed
// document: the body is kept for the kinds it decodes, Visit sees the object, Retain
// may drop the body. A panic is an internal error on the object.
func visitImage(o *inventory.Object, n Needs) (intern []finding.InternalError) {
	defer func() {
		if v := recover(); v != nil {
			ref, loc := o.Ref, o.Origin
			intern = append(intern, finding.InternalError{Object: &ref, Location: &loc, Message: "checking the image: " + finding.Recovered(v)})
		}
	}()
	if dec := n.decoder(); !dec(o.Ref.APIVersion, o.Ref.Kind) {
		o.Body = nil
	}
	if n.Visit != nil {
		n.Visit(o)
	}
	if n.Retain != nil && !n.Retain(o) {
		o.Body = nil
	}
	return nil
}

// fillLayerDiffIDs sets each package's LayerDiffID from its layer index.
func fillLayerDiffIDs(info *inventory.ImageInfo) {
	for i := range info.Software.Packages {
		loc := &info.Software.Packages[i].Location
		if loc.Layer >= 0 && loc.Layer < len(info.Layers) {
			loc.LayerDiffID = info.Layers[loc.Layer].DiffID
		}
	}
}

// SBOMSubject is what an SBOM of an image object describes.
func SBOMSubject(info *inventory.ImageInfo) sbom.Subject {
	return sbom.Subject{Name: info.Ref, Digest: info.Digest, Platform: info.Platform, Software: info.Software}
}
