// Package osv is the Open Source Vulnerability format (https://ossf.github.io/osv-schema/):
// its records as Go types, a bounded decoder, the evaluation of affected ranges exactly as
// the specification's "Evaluation" section states it, the mapping of OSV ecosystem names
// to the software model, alias merging, and CVSS base scores. It knows nothing about a
// database or about how versions of an ecosystem compare: the comparator is a parameter.
package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxRecordSize bounds one record's JSON (the largest record of the Go database is
// about 100 KB; osv.dev's largest Linux kernel records are a few MB).
const MaxRecordSize = 16 << 20

// Limits on what a record may hold, checked after decoding.
const (
	maxAffected = 100_000
	maxEvents   = 100_000
)

// Record is one OSV vulnerability record.
type Record struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         time.Time       `json:"modified"`
	Published        *time.Time      `json:"published,omitempty"`
	Withdrawn        *time.Time      `json:"withdrawn,omitempty"`
	Aliases          []string        `json:"aliases,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Upstream         []string        `json:"upstream,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []Severity      `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	Credits          []Credit        `json:"credits,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`

	// Source is the database source the record was imported from (internal/vulndb);
	// not part of the OSV format.
	Source string `json:"-"`
}

// UnmarshalJSON decodes a record and requires its "modified" timestamp (the Go
// database writes the zero time, which is present and valid).
func (r *Record) UnmarshalJSON(b []byte) error {
	type plain Record
	aux := struct {
		*plain
		Modified *time.Time `json:"modified"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if aux.Modified == nil {
		return errors.New(`not an OSV record: missing "modified"`)
	}
	r.Modified = *aux.Modified
	return nil
}

// IsWithdrawn reports whether the record was withdrawn: a withdrawn record describes no
// vulnerability and must be ignored by matching.
func (r *Record) IsWithdrawn() bool { return r.Withdrawn != nil }

// IDs is the record's ID followed by its aliases.
func (r *Record) IDs() []string {
	return append([]string{r.ID}, r.Aliases...)
}

// Severity types.
const (
	SeverityCVSSv2 = "CVSS_V2"
	SeverityCVSSv3 = "CVSS_V3"
	SeverityCVSSv4 = "CVSS_V4"
	SeverityUbuntu = "Ubuntu" // Ubuntu's own priority: negligible, low, medium, high, critical
)

// Severity is a severity of the record or of one affected package: a CVSS vector or an
// ecosystem's own rating, as the type says.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one affected package with its ranges and versions.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Package names the affected package in its ecosystem ("Go", "Debian:12", ...).
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range types.
const (
	RangeSemVer    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Range is a timeline of events over versions of one type.
type Range struct {
	Type             string          `json:"type"`
	Repo             string          `json:"repo,omitempty"`
	Events           []Event         `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event kinds.
const (
	EventIntroduced   = "introduced"
	EventFixed        = "fixed"
	EventLastAffected = "last_affected"
	EventLimit        = "limit"
)

// Event is one status change: exactly one of its kinds, with a version.
type Event struct {
	Kind    string // EventIntroduced, EventFixed, EventLastAffected or EventLimit
	Version string
}

// UnmarshalJSON accepts an object with exactly one of the four event kinds.
func (e *Event) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("event: %w", err)
	}
	n := 0
	for _, k := range []string{EventIntroduced, EventFixed, EventLastAffected, EventLimit} {
		raw, ok := m[k]
		if !ok {
			continue
		}
		n++
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("event %q: version is not a string", k)
		}
		e.Kind, e.Version = k, v
	}
	if n != 1 {
		return fmt.Errorf("event must have exactly one of introduced, fixed, last_affected, limit (has %d)", n)
	}
	return nil
}

// MarshalJSON writes {"kind": "version"}.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{e.Kind: e.Version})
}

// Reference is a link about the vulnerability.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Credit names someone credited for the record.
type Credit struct {
	Name    string   `json:"name"`
	Contact []string `json:"contact,omitempty"`
	Type    string   `json:"type,omitempty"`
}

// Parse decodes one OSV record from r, at most MaxRecordSize bytes. name (the file, or
// "archive.zip!/path") is in every error. Unknown fields are allowed; what the schema
// requires (id, modified, each affected package's ecosystem and name, each range's type
// and events with an introduced event, one kind per event) is checked, so JSON that is
// not an OSV record is rejected.
func Parse(r io.Reader, name string) (*Record, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRecordSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("%s: OSV record larger than %d bytes", name, MaxRecordSize)
	}
	return ParseBytes(data, name)
}

// ParseBytes is Parse of a record already in memory.
func ParseBytes(data []byte, name string) (*Record, error) {
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("%s: OSV record larger than %d bytes", name, MaxRecordSize)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%s: not an OSV record (not a JSON object)", name)
	}
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("%s: %w", name, positioned(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s:%d: data after the OSV record", name, lineOf(data, dec.InputOffset()))
	}
	if err := rec.validate(); err != nil {
		return nil, fmt.Errorf("%s: not a valid OSV record: %w", name, err)
	}
	return &rec, nil
}

// positioned adds the line of a JSON syntax or type error.
func positioned(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("line %d: %w", lineOf(data, syn.Offset), err)
	case errors.As(err, &typ):
		return fmt.Errorf("line %d: %w", lineOf(data, typ.Offset), err)
	}
	return err
}

func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

func (r *Record) validate() error {
	if strings.TrimSpace(r.ID) == "" {
		return errors.New(`missing "id"`)
	}
	if len(r.Affected) > maxAffected {
		return fmt.Errorf("%d affected packages (limit %d)", len(r.Affected), maxAffected)
	}
	for i := range r.Affected {
		a := &r.Affected[i]
		gitOnly := len(a.Ranges) > 0
		for _, rg := range a.Ranges {
			gitOnly = gitOnly && rg.Type == RangeGit
		}
		// The package may be omitted only when the ranges are GIT (a commit range of a
		// repository, e.g. OSS-Fuzz records).
		if (a.Package.Ecosystem == "" || a.Package.Name == "") && !gitOnly {
			return fmt.Errorf("affected[%d]: package needs an ecosystem and a name", i)
		}
		for j, rg := range a.Ranges {
			switch rg.Type {
			case RangeSemVer, RangeEcosystem:
			case RangeGit:
				if rg.Repo == "" {
					return fmt.Errorf("affected[%d].ranges[%d]: GIT range without repo", i, j)
				}
			default:
				return fmt.Errorf("affected[%d].ranges[%d]: unknown range type %q", i, j, rg.Type)
			}
			if len(rg.Events) > maxEvents {
				return fmt.Errorf("affected[%d].ranges[%d]: %d events (limit %d)", i, j, len(rg.Events), maxEvents)
			}
			intro := false
			for _, e := range rg.Events {
				intro = intro || e.Kind == EventIntroduced
			}
			if !intro {
				return fmt.Errorf("affected[%d].ranges[%d]: no introduced event", i, j)
			}
		}
	}
	return nil
}
