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
	return software.PerListing(ctx, fsys, env, func(f software.File) bool { return isInstalled(f.Name) }, MaxInstalledSize, ParseInstalled)
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
