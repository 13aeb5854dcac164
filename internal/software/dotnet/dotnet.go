// Package dotnet catalogs .NET applications and runtimes from their *.deps.json
// files (written by the SDK beside every framework-dependent or self-contained
// app, and shipped with each shared framework under dotnet/shared/): the NuGet
// packages ("type": "package") and runtime packs ("type": "runtimepack") of the
// "libraries" map. Projects and references are the application's own code.
//
// Why: ASP.NET Core and .NET runtime images (mcr.microsoft.com/dotnet/*) are common
// in Kubernetes clusters, and the runtime's own version is what most .NET
// advisories are about.
package dotnet

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Name is the cataloger's name.
const Name = "dotnet-deps"

// Bounds.
const (
	MaxDepsSize = 32 << 20
	maxEntries  = 100000
)

func init() {
	software.Register(software.Cataloger{Name: Name, Keep: Keep, Catalog: Catalog})
}

// Keep keeps *.deps.json files.
func Keep(name string, mode fs.FileMode, size int64, head []byte) bool {
	return mode.IsRegular() && size <= MaxDepsSize && strings.HasSuffix(name, ".deps.json")
}

// Catalog reads every *.deps.json of fsys.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	return software.PerListing(ctx, fsys, env, func(f software.File) bool { return strings.HasSuffix(f.Name, ".deps.json") }, MaxDepsSize, ParseDeps)
}

// ParseDeps reads a deps.json: its NuGet packages and runtime packs, sorted.
// Location is left to the caller.
func ParseDeps(b []byte) ([]software.Package, error) {
	var deps struct {
		Libraries map[string]struct {
			Type string `json:"type"`
		} `json:"libraries"`
	}
	if err := json.Unmarshal(b, &deps); err != nil {
		return nil, fmt.Errorf("deps.json: %w", err)
	}
	if len(deps.Libraries) > maxEntries {
		return nil, fmt.Errorf("deps.json: %d libraries, over the bound of %d", len(deps.Libraries), maxEntries)
	}
	var out []software.Package
	for key, lib := range deps.Libraries {
		if lib.Type != "package" && lib.Type != "runtimepack" {
			continue
		}
		name, version, ok := strings.Cut(key, "/")
		name = strings.TrimPrefix(name, "runtimepack.")
		if !ok || name == "" || version == "" {
			continue
		}
		out = append(out, software.Package{
			Ecosystem: software.NuGet,
			Name:      name,
			Version:   version,
			PURL:      packageurl.NewPackageURL(packageurl.TypeNuget, "", name, version, nil, "").ToString(),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PURL < out[j].PURL })
	return out, nil
}
