// Command goapp is the Go binary of the test images (internal/imagetest): a small
// program linking old, real module versions, so that its build information lists
// them (and one replacement) as `go version -m` shows.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/gorilla/mux"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v2"
)

func main() {
	r := mux.NewRouter()
	r.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, language.English)
	})
	out, err := yaml.Marshal(map[string]string{"lang": language.English.String()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		_ = http.ListenAndServe("127.0.0.1:8080", r)
	}
}
