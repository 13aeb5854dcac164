module example.com/palisade/goapp

go 1.21

require (
	github.com/gorilla/mux v1.7.0
	golang.org/x/text v0.3.0
	gopkg.in/yaml.v2 v2.2.1
)

// A replacement by another released version: the binary holds v1.7.1's code, and
// its build information says so (dep ... v1.7.0, => ... v1.7.1).
replace github.com/gorilla/mux v1.7.0 => github.com/gorilla/mux v1.7.1
