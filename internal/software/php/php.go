// Package php catalogs the PHP packages Composer installed, from
// vendor/composer/installed.json (Composer 1: an array of packages; Composer 2:
// {"packages": [...]}). Every package listed is installed, dev ones included
// (they are on disk when the image was built without --no-dev).
//
// Why: PHP applications (WordPress plugins, Nextcloud, Laravel and Symfony apps)
// are common Kubernetes workloads and vendor their dependencies with Composer.
package php

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Name is the cataloger's name.
const Name = "php-composer"

// Bounds.
const (
	MaxInstalledSize = 64 << 20
	maxPackages      = 100000
)

func init() {
	software.Register(software.Cataloger{Name: Name, Keep: Keep, Catalog: Catalog})
}

// Keep keeps vendor/composer/installed.json files.
func Keep(name string, mode fs.FileMode, size int64, head []byte) bool {
	return mode.IsRegular() && size <= MaxInstalledSize && isInstalled(name)
}

func isInstalled(name string) bool {
	return path.Base(name) == "installed.json" && path.Base(path.Dir(name)) == "composer"
}

// Catalog reads every installed.json of fsys.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	var pkgs []software.Package
	var probs []software.Problem
	for _, f := range env.FilesOf(ctx, fsys) {
		if ctx.Err() != nil {
			break
		}
		name := f.Name
		if !isInstalled(name) {
			continue
		}
		found, err := readFile(fsys, name)
		if err != nil {
			probs = append(probs, software.Problem{Path: "/" + name, Err: err.Error()})
			continue
		}
		for i := range found {
			found[i].Location = software.Location{Path: "/" + name, Layer: -1}
		}
		software.AttributePackages(ctx, env.Layers, name, found, MaxInstalledSize, ParseInstalled)
		pkgs = append(pkgs, found...)
	}
	if err := ctx.Err(); err != nil {
		probs = append(probs, software.Problem{Path: "/", Err: err.Error()})
	}
	return pkgs, probs
}

func readFile(fsys fs.FS, name string) ([]software.Package, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, MaxInstalledSize, ParseInstalled)
}

func readLimited(r io.Reader, limit int64, parse func([]byte) ([]software.Package, error)) ([]software.Package, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("over %d bytes", limit)
	}
	return parse(b)
}

type composerPackage struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	License json.RawMessage `json:"license"`
}

// ParseInstalled reads an installed.json of Composer 1 or 2.
func ParseInstalled(b []byte) ([]software.Package, error) {
	var list []composerPackage
	if err := json.Unmarshal(b, &list); err != nil {
		var v2 struct {
			Packages []composerPackage `json:"packages"`
		}
		if err2 := json.Unmarshal(b, &v2); err2 != nil {
			return nil, fmt.Errorf("installed.json: %w", err2)
		}
		list = v2.Packages
	}
	if len(list) > maxPackages {
		return nil, fmt.Errorf("installed.json: %d packages, over the bound of %d", len(list), maxPackages)
	}
	var out []software.Package
	for _, c := range list {
		vendor, name, ok := strings.Cut(c.Name, "/")
		if !ok || vendor == "" || name == "" || c.Version == "" {
			continue
		}
		var lic []string
		if json.Unmarshal(c.License, &lic) != nil {
			var one string
			if json.Unmarshal(c.License, &one) == nil && one != "" {
				lic = []string{one}
			}
		}
		if len(lic) > 16 {
			lic = lic[:16]
		}
		out = append(out, software.Package{
			Ecosystem: software.Composer,
			Name:      c.Name,
			Version:   c.Version,
			PURL:      packageurl.NewPackageURL(packageurl.TypeComposer, vendor, name, c.Version, nil, "").ToString(),
			Licenses:  lic,
		})
	}
	return out, nil
}
