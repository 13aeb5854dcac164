package vulndb

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/palisade-k8s/palisade/internal/osv"
)

// The records of the database were decoded and checked by osv.Parse when they were
// imported; Lookup decodes them again with these mirrors of osv's types, in one pass
// of encoding/json (osv.Parse makes three, and decodes each event through a map): a
// Go standard library lookup reads hundreds of large records. TestDecodeStored holds
// the result equal to osv.Parse's on the whole Go vulnerability database and the
// mirrors to osv's fields.

type storedRecord struct {
	SchemaVersion    string           `json:"schema_version"`
	ID               string           `json:"id"`
	Modified         *time.Time       `json:"modified"`
	Published        *time.Time       `json:"published"`
	Withdrawn        *time.Time       `json:"withdrawn"`
	Aliases          []string         `json:"aliases"`
	Related          []string         `json:"related"`
	Upstream         []string         `json:"upstream"`
	Summary          string           `json:"summary"`
	Details          string           `json:"details"`
	Severity         []osv.Severity   `json:"severity"`
	Affected         []storedAffected `json:"affected"`
	References       []osv.Reference  `json:"references"`
	Credits          []osv.Credit     `json:"credits"`
	DatabaseSpecific json.RawMessage  `json:"database_specific"`
}

type storedAffected struct {
	Package           osv.Package     `json:"package"`
	Severity          []osv.Severity  `json:"severity"`
	Ranges            []storedRange   `json:"ranges"`
	Versions          []string        `json:"versions"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	DatabaseSpecific  json.RawMessage `json:"database_specific"`
}

type storedRange struct {
	Type             string          `json:"type"`
	Repo             string          `json:"repo"`
	Events           []storedEvent   `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type storedEvent struct {
	Introduced   *string `json:"introduced"`
	Fixed        *string `json:"fixed"`
	LastAffected *string `json:"last_affected"`
	Limit        *string `json:"limit"`
}

var errStored = errors.New("stored record is not the OSV record it was on import")

// decodeStored decodes a stored record; what the mirrors do not take as osv.Parse
// would (an event without a version string) goes through osv.Parse.
func decodeStored(data []byte, name string) (*osv.Record, error) {
	if r, err := decodeFast(data); err == nil {
		return r, nil
	}
	return osv.ParseBytes(data, name)
}

func decodeFast(data []byte) (*osv.Record, error) {
	var s storedRecord
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, err
	}
	if s.Modified == nil || s.ID == "" {
		return nil, errStored
	}
	r := &osv.Record{
		SchemaVersion: s.SchemaVersion, ID: s.ID, Modified: *s.Modified, Published: s.Published, Withdrawn: s.Withdrawn,
		Aliases: s.Aliases, Related: s.Related, Upstream: s.Upstream, Summary: s.Summary, Details: s.Details,
		Severity: s.Severity, References: s.References, Credits: s.Credits, DatabaseSpecific: s.DatabaseSpecific,
	}
	if s.Affected != nil {
		r.Affected = make([]osv.Affected, len(s.Affected))
	}
	for i, a := range s.Affected {
		out := &r.Affected[i]
		*out = osv.Affected{Package: a.Package, Severity: a.Severity, Versions: a.Versions,
			EcosystemSpecific: a.EcosystemSpecific, DatabaseSpecific: a.DatabaseSpecific}
		if a.Ranges != nil {
			out.Ranges = make([]osv.Range, len(a.Ranges))
		}
		for j, rg := range a.Ranges {
			out.Ranges[j] = osv.Range{Type: rg.Type, Repo: rg.Repo, DatabaseSpecific: rg.DatabaseSpecific}
			if rg.Events != nil {
				out.Ranges[j].Events = make([]osv.Event, len(rg.Events))
			}
			for k, e := range rg.Events {
				ev := &out.Ranges[j].Events[k]
				n := 0
				for _, c := range []struct {
					kind string
					v    *string
				}{{osv.EventIntroduced, e.Introduced}, {osv.EventFixed, e.Fixed}, {osv.EventLastAffected, e.LastAffected}, {osv.EventLimit, e.Limit}} {
					if c.v != nil {
						ev.Kind, ev.Version = c.kind, *c.v
						n++
					}
				}
				if n != 1 {
					return nil, errStored
				}
			}
		}
	}
	return r, nil
}
