package sbom

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
	spdxjson "github.com/spdx/tools-golang/json"
)

// schemaFiles maps the official schemas' $id (and the URLs their $refs resolve to)
// to the copies in testdata/schema (see its README for their source).
var schemaFiles = map[string]string{
	"http://cyclonedx.org/schema/bom-1.6.schema.json":  "bom-1.6.schema.json",
	"http://cyclonedx.org/schema/spdx.schema.json":     "spdx.schema.json",
	"http://cyclonedx.org/schema/jsf-0.82.schema.json": "jsf-0.82.schema.json",
	"http://spdx.org/rdf/terms/2.3":                    "spdx-2.3-schema.json",
}

// localLoader loads the schemas from testdata/schema and refuses every other URL:
// validation never touches the network.
type localLoader struct{}

func (localLoader) Load(url string) (any, error) {
	name, ok := schemaFiles[url]
	if !ok {
		return nil, fmt.Errorf("schema %s is not in testdata/schema", url)
	}
	f, err := os.Open(filepath.Join("testdata", "schema", name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

func compileSchema(t testing.TB, url string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.UseLoader(localLoader{})
	c.AssertFormat()
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%v\n%s", err, doc)
	}
}

// TestSchemas validates the documents written from the rich inventory (and from a
// directory and an empty image) against the official CycloneDX 1.6 and SPDX 2.3
// JSON schemas, formats asserted.
func TestSchemas(t *testing.T) {
	fixedTime(t)
	cdxSchema := compileSchema(t, "http://cyclonedx.org/schema/bom-1.6.schema.json")
	spdxSchema := compileSchema(t, "http://spdx.org/rdf/terms/2.3")
	rootfs := richSubject()
	rootfs.Name, rootfs.Digest, rootfs.Platform, rootfs.Software.Distro = "/srv/rootfs", "", "", nil
	for _, s := range []Subject{richSubject(), rootfs, {}, {Name: "empty:latest", Digest: dig}} {
		t.Run(s.Name, func(t *testing.T) {
			validate(t, cdxSchema, write(t, writeCDX, s))
			doc := write(t, writeSPDX, s)
			validate(t, spdxSchema, doc)
			if _, err := spdxjson.Read(bytes.NewReader(doc)); err != nil {
				t.Errorf("the SPDX library does not read the document: %v", err)
			}
			if err := cdx.NewBOMDecoder(bytes.NewReader(write(t, writeCDX, s)), cdx.BOMFileFormatJSON).Decode(new(cdx.BOM)); err != nil {
				t.Errorf("the CycloneDX library does not read the document: %v", err)
			}
		})
	}
}

// TestSchemasReject: the validation is real (a document the schema forbids fails).
func TestSchemasReject(t *testing.T) {
	cdxSchema := compileSchema(t, "http://cyclonedx.org/schema/bom-1.6.schema.json")
	spdxSchema := compileSchema(t, "http://spdx.org/rdf/terms/2.3")
	for _, tc := range []struct {
		s   *jsonschema.Schema
		doc string
	}{
		{cdxSchema, `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","licenses":[{"license":{"id":"NOT-A-LICENSE"}}]}]}`},
		{cdxSchema, `{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"nope"}`},
		{spdxSchema, `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0","documentNamespace":"https://x","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: x"]},"packages":[{"SPDXID":"SPDXRef-a","name":"a","downloadLocation":"NOASSERTION","primaryPackagePurpose":"OPERATING-SYSTEM"}]}`},
	} {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(tc.doc)))
		if err != nil {
			t.Fatal(err)
		}
		if tc.s.Validate(v) == nil {
			t.Errorf("schema accepts %s", tc.doc)
		}
	}
}
