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
	"io"
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
	var pkgs []software.Package
	var probs []software.Problem
	for _, f := range env.FilesOf(ctx, fsys) {
		if ctx.Err() != nil {
			break
		}
		name := f.Name
		if !strings.HasSuffix(name, ".deps.json") {
			continue
		}
		found, err := readFile(fsys, name)
		if err != nil {
			probs = append(probs, software.Problem{Path: "/" + name, Err: err.Error()})
		}
		for i := range found {
			found[i].Location = software.Location{Path: "/" + name, Layer: -1}
		}
		software.AttributePackages(ctx, env.Layers, name, found, MaxDepsSize, ParseDeps)
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
	b, err := io.ReadAll(io.LimitReader(f, MaxDepsSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxDepsSize {
		return nil, fmt.Errorf("over %d bytes", MaxDepsSize)
	}
	return ParseDeps(b)
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
