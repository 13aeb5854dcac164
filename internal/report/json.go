package report

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/palisade-k8s/palisade/internal/safetext"
)

func init() {
	RegisterFormat(Format{Name: "json", Write: func(w io.Writer, r *Report, _ Options) error { return writeJSON(w, r) }})
}

// writeJSON writes the report as indented JSON, one finding at a time, so that a
// report of many thousands of findings never exists in memory as one document. The
// bytes are exactly those of json.Encoder with two-space indentation.
func writeJSON(out io.Writer, r *Report) error {
	w := bufio.NewWriter(safetext.JSONWriter(out))
	field := func(name string, v any, last bool) error {
		b, err := json.MarshalIndent(v, "  ", "  ")
		if err != nil {
			return err
		}
		w.WriteString("  \"" + name + "\": ")
		w.Write(b)
		if !last {
			w.WriteString(",")
		}
		w.WriteString("\n")
		return nil
	}
	w.WriteString("{\n")
	if err := field("schema", r.Schema, false); err != nil {
		return err
	}
	if err := field("tool", r.Tool, false); err != nil {
		return err
	}
	if err := field("summary", r.Summary, false); err != nil {
		return err
	}
	if len(r.Findings) == 0 {
		w.WriteString("  \"findings\": [],\n")
	} else {
		w.WriteString("  \"findings\": [\n")
		for i := range r.Findings {
			b, err := json.MarshalIndent(&r.Findings[i], "    ", "  ")
			if err != nil {
				return err
			}
			w.WriteString("    ")
			w.Write(b)
			if i < len(r.Findings)-1 {
				w.WriteString(",")
			}
			w.WriteString("\n")
		}
		w.WriteString("  ],\n")
	}
	if len(r.Images) > 0 {
		if err := field("images", r.Images, false); err != nil {
			return err
		}
	}
	if err := field("inputErrors", r.Errors, len(r.Coverage) == 0 && len(r.Notices) == 0 && len(r.Internal) == 0); err != nil {
		return err
	}
	if len(r.Coverage) > 0 {
		if err := field("coverage", r.Coverage, len(r.Notices) == 0 && len(r.Internal) == 0); err != nil {
			return err
		}
	}
	if len(r.Notices) > 0 {
		if err := field("notices", r.Notices, len(r.Internal) == 0); err != nil {
			return err
		}
	}
	if len(r.Internal) > 0 {
		if err := field("internalErrors", r.Internal, true); err != nil {
			return err
		}
	}
	w.WriteString("}\n")
	return w.Flush()
}
