package main

import (
	"fmt"

	"example.com/dep"
	"github.com/package-url/packageurl-go"
)

func main() {
	fmt.Println(dep.Hello(), packageurl.NewPackageURL("golang", "", "stdlib", "", nil, ""))
}
