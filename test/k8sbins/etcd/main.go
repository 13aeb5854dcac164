// Command etcd is etcd's own server entry point, built here so that the tests need
// no etcd from the system's packages.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
