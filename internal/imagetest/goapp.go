package imagetest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// GoModule is one module of a Go binary as `go version -m` lists it.
type GoModule struct {
	// Path and Version are the module whose code is in the binary: for a replaced
	// dependency, the replacement ("=>" line).
	Path, Version string
	// Replaces is the module path and version the go.mod required, when replaced.
	Replaces string
}

// GoBinary is a Go binary and what `go version -m` says about it.
type GoBinary struct {
	// File is the binary's path on this machine.
	File string
	// GoVersion is the toolchain ("go1.26.8").
	GoVersion string
	// Main is the main module (Version "(devel)" when built outside version
	// control); Deps the dependencies, in go version -m order.
	Main GoModule
	Deps []GoModule
	// GOOS and GOARCH are the build settings.
	GOOS, GOARCH string
}

// goTool is the go command: on PATH, else GOROOT's (go test sets GOROOT).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// GoApp is testdata/goapp built for linux/goarch (cached). Without the module proxy
// (and the modules not yet in the module cache) it skips, or fails when the images are
// required.
func GoApp(t testing.TB, goarch string) *GoBinary {
	t.Helper()
	short(t)
	b, err := BuildGoApp(goarch)
	if err != nil {
		unavailable(t, "building testdata/goapp for linux/%s: %v", goarch, err)
	}
	return b
}

// BuildGoApp builds testdata/goapp for linux/goarch with the go command on PATH
// (modules from the module proxy), or finds the build in the cache, keyed by the
// module's files and the toolchain version.
func BuildGoApp(goarch string) (*GoBinary, error) {
	src := testdata("goapp")
	gover, err := exec.Command(goTool(), "env", "GOVERSION").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOVERSION: %w", err)
	}
	key, err := hashFiles([]string{filepath.Join(src, "go.mod"), filepath.Join(src, "go.sum"), filepath.Join(src, "main.go")},
		strings.TrimSpace(string(gover)), goarch)
	if err != nil {
		return nil, err
	}
	dest := filepath.Join(CacheDir(), "goapp-linux-"+goarch+"-"+key)
	if !done(dest) {
		if err := os.MkdirAll(CacheDir(), 0o755); err != nil {
			return nil, err
		}
		tmp, err := tempDir(CacheDir(), ".goapp-")
		if err != nil {
			return nil, err
		}
		logf("building testdata/goapp for linux/%s (modules from the module proxy) into %s", goarch, dest)
		if err := buildGoApp(src, tmp, goarch); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		if err := publish(tmp, dest); err != nil {
			return nil, err
		}
		prune(CacheDir(), "goapp-linux-"+goarch+"-", dest)
	}
	truth := filepath.Join(dest, "go-version-m.txt")
	out, err := os.ReadFile(truth)
	if err != nil {
		return nil, err
	}
	b, err := ParseGoVersionM(out, truth)
	if err != nil {
		return nil, err
	}
	b.File = filepath.Join(dest, "goapp")
	return b, nil
}

func buildGoApp(src, dir, goarch string) error {
	bin := filepath.Join(dir, "goapp")
	cmd := exec.Command(goTool(), "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false", "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	// The ground truth: what the go command itself reads from the binary.
	out, err := exec.Command(goTool(), "version", "-m", bin).Output()
	if err != nil {
		return fmt.Errorf("go version -m: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go-version-m.txt"), out, 0o644); err != nil {
		return err
	}
	return markDone(dir)
}

// ParseGoVersionM parses the output of `go version -m FILE`: the first line
// "FILE: goX.Y.Z", then tab-separated "path", "mod", "dep", "=>" and "build" lines.
func ParseGoVersionM(out []byte, name string) (*GoBinary, error) {
	b := &GoBinary{}
	lines := strings.Split(string(bytes.TrimRight(out, "\n")), "\n")
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: empty", name)
	}
	i := strings.LastIndex(lines[0], ": ")
	if i < 0 {
		return nil, fmt.Errorf("%s:1: no toolchain version in %q", name, lines[0])
	}
	b.GoVersion = lines[0][i+2:]
	for n, line := range lines[1:] {
		f := strings.Split(strings.TrimPrefix(line, "\t"), "\t")
		if len(f) == 0 || f[0] == "" {
			continue
		}
		bad := func() error { return fmt.Errorf("%s:%d: unexpected line %q", name, n+2, line) }
		switch f[0] {
		case "path":
		case "mod":
			if len(f) < 3 {
				return nil, bad()
			}
			b.Main = GoModule{Path: f[1], Version: f[2]}
		case "dep":
			if len(f) < 3 {
				return nil, bad()
			}
			b.Deps = append(b.Deps, GoModule{Path: f[1], Version: f[2]})
		case "=>":
			if len(f) < 2 || len(b.Deps) == 0 {
				return nil, bad()
			}
			d := &b.Deps[len(b.Deps)-1]
			d.Replaces = d.Path + "@" + d.Version
			d.Path, d.Version = f[1], ""
			if len(f) >= 3 {
				d.Version = f[2]
			}
		case "build":
			if len(f) < 2 {
				return nil, bad()
			}
			if k, v, ok := strings.Cut(f[1], "="); ok {
				switch k {
				case "GOOS":
					b.GOOS = v
				case "GOARCH":
					b.GOARCH = v
				}
			}
		default:
			return nil, bad()
		}
	}
	if b.Main.Path == "" {
		return nil, fmt.Errorf("%s: no main module", name)
	}
	return b, nil
}

// StdlibVersion is the toolchain version as the Go vulnerability database names the
// module "stdlib": "go1.26.8" -> "v1.26.8", "go1.22" -> "v1.22.0".
func StdlibVersion(goVersion string) string {
	v := strings.TrimPrefix(strings.Fields(goVersion + " ")[0], "go")
	if strings.Count(v, ".") == 1 {
		v += ".0"
	}
	return "v" + v
}
