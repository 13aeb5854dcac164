package source

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/palisade-k8s/palisade/internal/image"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// imageProgress prints the progress of an Images read (never into the report: the
// CLI gives it standard error). Live, on a terminal, each image being read has a line
// redrawn in place (layer, bytes, packages once found); otherwise, and for every
// image once done, one line per image.
type imageProgress struct {
	w    io.Writer
	live bool

	mu    sync.Mutex
	order []string // images being read, in the order they started
	lines map[string]string
	drawn int // lines of the live block on screen
	last  time.Time
}

func newImageProgress(w io.Writer, live bool) *imageProgress {
	if w == nil {
		return nil
	}
	return &imageProgress{w: w, live: live, lines: map[string]string{}}
}

func (p *imageProgress) start(name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.order = append(p.order, name)
	p.lines[name] = safetext.Sprintf("image %s: reading", name)
	p.redraw(true, "")
}

func (p *imageProgress) update(name string, pr image.Progress) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := safetext.Sprintf("image %s: layer %d/%d, %s", name, pr.Layer, pr.Layers, byteSize(pr.Bytes))
	if pr.Total > 0 {
		s += " of " + byteSize(pr.Total)
	}
	p.lines[name] = s
	p.redraw(false, "")
}

// found says how many packages an image holds, while its rules run.
func (p *imageProgress) found(name string, packages int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines[name] = safetext.Sprintf("image %s: %s found, checking", name, plural(packages, "package"))
	p.redraw(true, "")
}

// done prints the final line of an image.
func (p *imageProgress) done(name string, info *inventory.ImageInfo, err error) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, n := range p.order {
		if n == name {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
	delete(p.lines, name)
	var s string
	if err != nil {
		s = safetext.Sprintf("image %s: not read: %v", name, err)
	} else {
		var size int64
		for _, l := range info.Layers {
			size += l.Size
		}
		what := []string{}
		if info.Digest != "" {
			what = append(what, short(info.Digest))
		}
		if info.Platform != "" {
			what = append(what, info.Platform)
		}
		desc := ""
		if len(what) > 0 {
			desc = " " + strings.Join(what, " ")
		}
		s = safetext.Sprintf("image %s%s: %s, %s, %s", name, desc, plural(len(info.Layers), "layer"), byteSize(size), plural(len(info.Software.Packages), "package"))
	}
	p.redraw(true, s)
}

// redraw prints a finished image's line (if any) and, live, the lines of the images
// still being read in place of the previous ones (at most ten times a second unless
// force).
func (p *imageProgress) redraw(force bool, finished string) {
	if !p.live {
		if finished != "" {
			fmt.Fprintln(p.w, finished)
		}
		return
	}
	if !force && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dF", p.drawn) // to the start of the block
	}
	if finished != "" {
		b.WriteString("\x1b[2K" + finished + "\n")
	}
	for _, n := range p.order {
		b.WriteString("\x1b[2K" + p.lines[n] + "\n")
	}
	b.WriteString("\x1b[J") // clear what the block held below
	p.drawn = len(p.order)
	io.WriteString(p.w, b.String())
}

func (p *imageProgress) close() {}

func short(digest string) string {
	if i := strings.IndexByte(digest, ':'); i >= 0 && len(digest) > i+13 {
		return digest[:i+13]
	}
	return digest
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// byteSize is a size in bytes for people (1.5 MB).
func byteSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
