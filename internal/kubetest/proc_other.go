//go:build !linux

package kubetest

import (
	"os/exec"
	"syscall"
)

// isolate does nothing here: process groups and a parent-death signal are what the
// Linux version adds, and the binaries are only built for Linux.
func isolate(*exec.Cmd) {}

// signalGroup signals the child alone.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return cmd.Process.Signal(sig)
}
