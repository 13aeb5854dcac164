package load

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// Helm validates values against a chart's values.schema.json with a compiler that
// fetches every $ref it does not hold: over HTTP, and from any file on the machine
// (a relative $ref resolves against file:///values.schema.json). Palisade validates
// the same way with a compiler that fetches nothing: a reference it does not hold
// stands for a schema that accepts anything, as Helm does for unresolved URNs.

// validateValues is chartutil.ValidateAgainstSchema without fetching.
func validateValues(ch *chart.Chart, values map[string]interface{}) error {
	var sb strings.Builder
	if ch.Schema != nil {
		if err := validateAgainstSchema(values, ch.Schema); err != nil {
			fmt.Fprintf(&sb, "%s:\n", ch.Name())
			sb.WriteString(err.Error())
		}
	}
	for _, sub := range ch.Dependencies() {
		raw, ok := values[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		subValues, ok := raw.(map[string]interface{})
		if !ok {
			fmt.Fprintf(&sb, "%s:\ninvalid type for values: expected object (map), got %T\n", sub.Name(), raw)
			continue
		}
		if err := validateValues(sub, subValues); err != nil {
			sb.WriteString(err.Error())
		}
	}
	if sb.Len() > 0 {
		return errors.New(sb.String())
	}
	return nil
}

func validateAgainstSchema(values chartutil.Values, schemaJSON []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unable to validate schema: %s", r)
		}
	}()
	schema, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(notFetched{})
	if err := c.AddResource("file:///values.schema.json", schema); err != nil {
		return err
	}
	v, err := c.Compile("file:///values.schema.json")
	if err != nil {
		return err
	}
	if err := v.Validate(values.AsMap()); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "jsonschema validation failed with 'file:///values.schema.json#'\n") + "\n")
	}
	return nil
}

// notFetched answers every schema reference with the schema that accepts anything.
type notFetched struct{}

func (notFetched) Load(string) (any, error) { return true, nil }
