package kubetest

import (
	"os/exec"
	"syscall"
)

// isolate puts the child in a process group of its own, so that stopping it takes
// any children it has too, and has the kernel kill it if the test binary dies
// without running its cleanup (a panic, a test timeout, a signal).
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the child's whole process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
