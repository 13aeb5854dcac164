package benchrun

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// GoInstall installs the command pkg (a package path without version) at version
// with go install into cache/version once, and returns the path of its binary,
// named name; logf says what it does (a line every 30 seconds while go install
// runs).
func GoInstall(cache, name, pkg, version string, logf func(format string, a ...any)) (string, error) {
	dir := filepath.Join(cache, version)
	bin := filepath.Join(dir, name)
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if _, err := os.Stat(bin); err == nil {
		logf("%s %s: cached in %s", name, version, dir)
		return bin, nil
	}
	logf("installing %s %s from the module proxy into %s (once) ...", name, version, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(goBin, "install", pkg+"@"+version)
	cmd.Dir = os.TempDir() // outside any module: its own go.mod decides
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	cmd.Stderr = os.Stderr
	start := time.Now()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(30 * time.Second):
				logf("installing %s %s: %s so far", name, version, time.Since(start).Round(time.Second))
			}
		}
	}()
	err = cmd.Run()
	close(done)
	if err != nil {
		return "", fmt.Errorf("go install %s %s: %w", name, version, err)
	}
	logf("installed %s %s in %s", name, version, time.Since(start).Round(time.Second))
	return bin, nil
}
