// Command palisade checks and enforces Kubernetes security best practices.
package main

import (
	"os"

	"github.com/palisade-k8s/palisade/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
