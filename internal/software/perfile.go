package software

import (
	"context"
	"fmt"
	"io"
	"io/fs"
)

// LayerOf is the index of the layer that added name (Layers.LayerOf), or -1 for a
// filesystem without layers.
func (env Env) LayerOf(name string) int {
	if env.Layers == nil {
		return -1
	}
	return env.Layers.LayerOf(name)
}

// PerFile is the loop of a cataloger that reads its packages from files found
// anywhere in fsys, each file on its own: for every file of env.FilesOf that match
// accepts, read returns the packages it holds, and PerFile sets their Location (the
// file's absolute path and the layer that added it). An error of read is a Problem
// naming the file (with the packages read returned, if any), and the rest goes on;
// when ctx is done the loop stops with a Problem on "/".
func PerFile(ctx context.Context, fsys fs.FS, env Env, match func(File) bool, read func(fsys fs.FS, f File) ([]Package, error)) ([]Package, []Problem) {
	return perFile(ctx, fsys, env, match, read, func(name string, pkgs []Package) {
		layer := env.LayerOf(name)
		for i := range pkgs {
			pkgs[i].Location.Layer = layer
		}
	})
}

// PerListing is PerFile for files that each list many packages and that later
// layers may rewrite (a deps.json, a Composer installed.json): every matching file,
// of at most limit bytes (ReadFile), is read with parse, and the layer of each
// package is found with AttributePackages.
func PerListing(ctx context.Context, fsys fs.FS, env Env, match func(File) bool, limit int64, parse func([]byte) ([]Package, error)) ([]Package, []Problem) {
	read := func(fsys fs.FS, f File) ([]Package, error) {
		b, err := ReadFile(fsys, f.Name, limit)
		if err != nil {
			return nil, err
		}
		return parse(b)
	}
	return perFile(ctx, fsys, env, match, read, func(name string, pkgs []Package) {
		AttributePackages(ctx, env.Layers, name, pkgs, limit, parse)
	})
}

func perFile(ctx context.Context, fsys fs.FS, env Env, match func(File) bool, read func(fs.FS, File) ([]Package, error), layers func(name string, pkgs []Package)) ([]Package, []Problem) {
	var pkgs []Package
	var probs []Problem
	for _, f := range env.FilesOf(ctx, fsys) {
		if ctx.Err() != nil {
			break
		}
		if !match(f) {
			continue
		}
		found, err := read(fsys, f)
		if err != nil {
			probs = append(probs, Problem{Path: "/" + f.Name, Err: err.Error()})
		}
		if len(found) == 0 {
			continue
		}
		for i := range found {
			found[i].Location = Location{Path: "/" + f.Name, Layer: -1}
		}
		layers(f.Name, found)
		pkgs = append(pkgs, found...)
	}
	if err := ctx.Err(); err != nil {
		probs = append(probs, Problem{Path: "/", Err: err.Error()})
	}
	return pkgs, probs
}

// ReadFile reads the file name of fsys, of at most limit bytes: a larger file is an
// error.
func ReadFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, limit)
}

// ReadAll reads r to its end, at most limit bytes: more is an error.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("over %d bytes", limit)
	}
	return b, nil
}

// ReadHead reads the first n bytes of the file name of fsys (fewer if it is
// shorter), nil if it cannot be opened.
func ReadHead(fsys fs.FS, name string, n int) []byte {
	f, err := fsys.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	b := make([]byte, n)
	n, _ = io.ReadFull(f, b)
	return b[:n]
}
