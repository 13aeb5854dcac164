// Package dep is a dependency replaced by a local directory.
package dep

// Hello says hello.
func Hello() string { return "hello" }
