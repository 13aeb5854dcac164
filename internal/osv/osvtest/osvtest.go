// Package osvtest is test support for the OSV packages: the real Go vulnerability
// database (a pinned version of the golang.org/x/vulndb module, from the module proxy)
// and the official OSV JSON schema.
package osvtest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// VulnDBModule is the Go vulnerability database the tests read: a pinned version of
// the module, from the module proxy (cached in the module cache after the first run).
const VulnDBModule = "golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018"

var (
	dbOnce sync.Once
	dbDir  string
	dbErr  string
)

// GoVulnDB is the directory of the OSV records (data/osv) of VulnDBModule, downloaded
// through the module proxy by the go command when the module cache does not hold it.
// It skips the test under -short.
func GoVulnDB(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the Go vulnerability database is not downloaded")
	}
	dbOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "osvtest")
		if err != nil {
			dbErr = err.Error()
			return
		}
		defer os.RemoveAll(tmp)
		cmd := exec.Command("go", "mod", "download", "-json", VulnDBModule)
		cmd.Dir = tmp // outside this module: go.mod is not read or changed
		out, err := cmd.Output()
		var m struct{ Dir string }
		if err == nil {
			err = json.Unmarshal(out, &m)
		}
		if err != nil || m.Dir == "" {
			dbErr = "go mod download " + VulnDBModule + ": " + string(out)
			if err != nil {
				dbErr += err.Error()
			}
			return
		}
		dbDir = filepath.Join(m.Dir, "data", "osv")
	})
	if dbErr != "" {
		t.Fatal(dbErr)
	}
	return dbDir
}

//go:embed osv-schema.json
var schemaJSON []byte

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// Schema is the official OSV JSON schema (osv-schema.json, with its source in
// osv-schema.json.source), compiled.
func Schema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("osv-schema.json", doc); err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = c.Compile("osv-schema.json")
	})
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	return schema
}

// Validate fails the test unless data is an OSV record valid per the official schema;
// name names it in the failure.
func Validate(t testing.TB, name string, data []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if err := Schema(t).Validate(v); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}
