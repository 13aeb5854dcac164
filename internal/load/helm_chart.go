package load

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"
)

// Helm's loader follows every symbolic link in a chart directory, wherever it leads
// (env.txt -> /proc/self/environ, then {{ .Files.Get "env.txt" }}), and reads
// devices and FIFOs it finds through them. Palisade reads the chart's files itself,
// the way helm's loader does (.helmignore, the same size limits), and hands them to
// loader.LoadFiles: a link that leaves the chart directory, and anything but a
// regular file, is an input error naming it. Archives are read in memory by helm;
// their entries are checked first, so that one that is a link or leaves the archive
// is named too.

// chartError is a chart that cannot be read, and the file to blame.
type chartError struct {
	file string
	err  error
}

func (e *chartError) Error() string { return e.err.Error() }

func chartErrorf(file, format string, args ...any) error {
	return &chartError{file: file, err: fmt.Errorf(format, args...)}
}

// loadChart reads the chart directory or archive at p.
func loadChart(p string) (*chart.Chart, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		data, err := readChartArchive(p)
		if err != nil {
			return nil, err
		}
		return loader.LoadArchive(bytes.NewReader(data))
	}
	files, err := readChartDir(p)
	if err != nil {
		return nil, err
	}
	return loader.LoadFiles(files)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readChartDir reads the files of a chart directory as helm's loader.LoadDir does,
// without leaving the directory.
func readChartDir(dir string) ([]*loader.BufferedFile, error) {
	top, err := realPath(dir)
	if err != nil {
		return nil, err
	}
	rules := ignore.Empty()
	if ifile := filepath.Join(dir, ignore.HelmIgnore); exists(ifile) {
		data, err := readRegular(ifile, top, loader.MaxDecompressedFileSize)
		if err != nil {
			return nil, &chartError{file: ifile, err: err}
		}
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, &chartError{file: ifile, err: err}
		}
	}
	rules.AddDefaults()
	r := chartReader{top: top, rules: rules, onPath: map[string]bool{top: true}, remaining: loader.MaxDecompressedChartSize}
	if err := r.walk(dir, ""); err != nil {
		return nil, err
	}
	return r.files, nil
}

type chartReader struct {
	top   string
	rules *ignore.Rules
	// onPath holds the real directories being walked, against link loops.
	onPath    map[string]bool
	remaining int64
	files     []*loader.BufferedFile
}

// walk reads the directory dir, whose name in the chart is rel ("" for the top).
func (r *chartReader) walk(dir, rel string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return &chartError{file: dir, err: err}
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		n := path.Join(rel, e.Name())
		fi, err := os.Lstat(p)
		if err != nil {
			return &chartError{file: p, err: err}
		}
		real := p
		if fi.Mode()&os.ModeSymlink != 0 {
			if real, err = filepath.EvalSymlinks(p); err != nil {
				return chartErrorf(p, "symbolic link %s does not resolve: %v", n, err)
			}
			if fi, err = os.Stat(real); err != nil {
				return &chartError{file: p, err: err}
			}
		} else if real, err = realPath(p); err != nil {
			return &chartError{file: p, err: err}
		}
		if r.rules.Ignore(n, fi) {
			continue
		}
		if !within(real, r.top) {
			return chartErrorf(p, "symbolic link %s leads to %s, outside the chart: not followed", n, real)
		}
		if fi.IsDir() {
			if r.onPath[real] {
				return chartErrorf(p, "symbolic link %s leads back to %s: a loop", n, real)
			}
			r.onPath[real] = true
			err := r.walk(p, n)
			delete(r.onPath, real)
			if err != nil {
				return err
			}
			continue
		}
		if !fi.Mode().IsRegular() {
			return chartErrorf(p, "chart file %s is not a regular file (%s): not read", n, fi.Mode().Type())
		}
		if fi.Size() > loader.MaxDecompressedFileSize {
			return chartErrorf(p, "chart file %s is larger than the maximum file size %d", n, loader.MaxDecompressedFileSize)
		}
		if fi.Size() > r.remaining {
			return chartErrorf(p, "chart is larger than the maximum size %d", loader.MaxDecompressedChartSize)
		}
		data, err := readRegular(real, r.top, loader.MaxDecompressedFileSize)
		if err != nil {
			return &chartError{file: p, err: err}
		}
		r.remaining -= int64(len(data))
		if err := checkNestedArchive(p, n, data); err != nil {
			return err
		}
		r.files = append(r.files, &loader.BufferedFile{Name: n, Data: bytes.TrimPrefix(data, utf8BOM)})
	}
	return nil
}

// readChartArchive reads a chart archive (a regular file) and checks its entries.
func readChartArchive(p string) ([]byte, error) {
	real, err := realPath(p)
	if err != nil {
		return nil, err
	}
	data, err := readRegular(real, filepath.Dir(real), loader.MaxDecompressedChartSize)
	if err != nil {
		return nil, &chartError{file: p, err: err}
	}
	if err := checkChartArchive(p, data, 0); err != nil {
		return nil, err
	}
	return data, nil
}

// subchartArchive matches the archives of subcharts, which helm's loader unpacks.
var subchartArchive = regexp.MustCompile(`(^|/)charts/[^/]+\.tgz$`)

func checkNestedArchive(file, name string, data []byte) error {
	if !subchartArchive.MatchString(name) {
		return nil
	}
	return checkChartArchive(file+"#"+name, data, 1)
}

// maxArchiveNesting bounds subchart archives inside subchart archives.
const maxArchiveNesting = 10

// checkChartArchive checks the entries of a chart archive: regular files and
// directories only, named below the chart's directory, at most helm's maximum chart
// size in all; subchart archives inside are checked the same way. file names it in
// errors (with #entry).
func checkChartArchive(file string, data []byte, depth int) error {
	if depth > maxArchiveNesting {
		return chartErrorf(file, "subchart archives nest more than %d deep", maxArchiveNesting)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return &chartError{file: file, err: err}
	}
	tr := tar.NewReader(io.LimitReader(zr, loader.MaxDecompressedChartSize+1))
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &chartError{file: file, err: err}
		}
		name := strings.ReplaceAll(hd.Name, "\\", "/")
		entry := file + "#" + name
		switch hd.Typeflag {
		case tar.TypeReg, tar.TypeDir, tar.TypeXHeader, tar.TypeXGlobalHeader:
		case tar.TypeSymlink:
			return chartErrorf(entry, "archive entry %s is a symbolic link (to %s): not read", name, hd.Linkname)
		case tar.TypeLink:
			return chartErrorf(entry, "archive entry %s is a hard link (to %s): not read", name, hd.Linkname)
		default:
			return chartErrorf(entry, "archive entry %s is not a regular file (type %q): not read", name, hd.Typeflag)
		}
		clean := path.Clean(name)
		_, inChart, _ := strings.Cut(name, "/") // below the chart's own directory
		inChart = path.Clean(inChart)
		if path.IsAbs(name) || filepath.VolumeName(name) != "" || clean == ".." || strings.HasPrefix(clean, "../") ||
			inChart == ".." || strings.HasPrefix(inChart, "../") {
			return chartErrorf(entry, "archive entry %s is outside the chart: not read", name)
		}
		if hd.Typeflag != tar.TypeReg {
			continue
		}
		if hd.Size > loader.MaxDecompressedFileSize {
			return chartErrorf(entry, "archive entry %s is larger than the maximum file size %d", name, loader.MaxDecompressedFileSize)
		}
		if !subchartArchive.MatchString(clean) {
			continue
		}
		nested, err := io.ReadAll(io.LimitReader(tr, loader.MaxDecompressedFileSize))
		if err != nil {
			return &chartError{file: entry, err: err}
		}
		if err := checkChartArchive(entry, nested, depth+1); err != nil {
			return err
		}
	}
}
