package imagetest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// NPMPackage is one package of an npm tree.
type NPMPackage struct {
	Name, Version string
}

// NPMTree is an installed npm project and what `npm ls --all --json` says about it.
type NPMTree struct {
	// Dir holds package.json, package-lock.json and node_modules.
	Dir string
	// Root is the project itself; Packages every installed package (each name and
	// version once), sorted.
	Root     NPMPackage
	Packages []NPMPackage
}

// NPMApp is testdata/npmapp installed from the npm registry (cached). Without npm or
// the registry it skips, or fails when the images are required.
func NPMApp(t testing.TB) *NPMTree {
	t.Helper()
	short(t)
	tree, err := InstallNPMApp()
	if err != nil {
		unavailable(t, "installing testdata/npmapp: %v", err)
	}
	return tree
}

// InstallNPMApp runs `npm ci` on testdata/npmapp's package.json and lock (install
// scripts off) in the cache, keyed by those files and npm's version, and records
// `npm ls --all --json` beside the tree.
func InstallNPMApp() (*NPMTree, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, fmt.Errorf("no npm on PATH: %w", err)
	}
	ver, err := exec.Command(npm, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("npm --version: %w", err)
	}
	src := testdata("npmapp")
	files := []string{filepath.Join(src, "package.json"), filepath.Join(src, "package-lock.json")}
	key, err := hashFiles(files, strings.TrimSpace(string(ver)))
	if err != nil {
		return nil, err
	}
	dest := filepath.Join(CacheDir(), "npmapp-"+key)
	if !done(dest) {
		if err := os.MkdirAll(CacheDir(), 0o755); err != nil {
			return nil, err
		}
		tmp, err := tempDir(CacheDir(), ".npmapp-")
		if err != nil {
			return nil, err
		}
		logf("installing testdata/npmapp from the npm registry (npm ci) into %s", dest)
		if err := installNPM(npm, files, tmp); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		if err := publish(tmp, dest); err != nil {
			return nil, err
		}
		prune(CacheDir(), "npmapp-", dest)
	}
	truth := filepath.Join(dest, "npm-ls.json")
	data, err := os.ReadFile(truth)
	if err != nil {
		return nil, err
	}
	root, pkgs, err := ParseNPMLs(data, truth)
	if err != nil {
		return nil, err
	}
	return &NPMTree{Dir: filepath.Join(dest, "app"), Root: root, Packages: pkgs}, nil
}

func installNPM(npm string, files []string, dir string) error {
	app := filepath.Join(dir, "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(app, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
	cmd.Dir = app
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci: %v\n%s", err, out)
	}
	// The ground truth: npm's own view of the installed tree. npm ls exits non-zero
	// on problems (missing, invalid) but still prints the tree: ParseNPMLs fails on
	// those.
	cmd = exec.Command(npm, "ls", "--all", "--json")
	cmd.Dir = app
	out, err := cmd.Output()
	if len(out) == 0 && err != nil {
		return fmt.Errorf("npm ls: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "npm-ls.json"), out, 0o644); err != nil {
		return err
	}
	return markDone(dir)
}

// npmLs is the shape of `npm ls --json` (npm 7 and later).
type npmLs struct {
	Name         string           `json:"name"`
	Version      string           `json:"version"`
	Missing      bool             `json:"missing"`
	Invalid      any              `json:"invalid"`
	Problems     []string         `json:"problems"`
	Dependencies map[string]npmLs `json:"dependencies"`
}

// ParseNPMLs reads `npm ls --all --json`: the root project and every package of
// the tree (each name and version once, sorted). A tree npm reports problems with
// (missing or invalid packages) is an error.
func ParseNPMLs(data []byte, name string) (NPMPackage, []NPMPackage, error) {
	var top npmLs
	if err := json.Unmarshal(data, &top); err != nil {
		return NPMPackage{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(top.Problems) > 0 {
		return NPMPackage{}, nil, fmt.Errorf("%s: npm reports problems: %s", name, strings.Join(top.Problems, "; "))
	}
	seen := map[NPMPackage]bool{}
	var walk func(deps map[string]npmLs, depth int) error
	walk = func(deps map[string]npmLs, depth int) error {
		if depth > 100 {
			return fmt.Errorf("%s: dependencies nested deeper than 100", name)
		}
		for n, d := range deps {
			if d.Missing || d.Version == "" {
				return fmt.Errorf("%s: %s is missing", name, n)
			}
			seen[NPMPackage{Name: n, Version: d.Version}] = true
			if err := walk(d.Dependencies, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(top.Dependencies, 0); err != nil {
		return NPMPackage{}, nil, err
	}
	out := make([]NPMPackage, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return NPMPackage{Name: top.Name, Version: top.Version}, out, nil
}
