// Package vex reads OpenVEX documents (https://github.com/openvex/spec, v0.2.0):
// statements that a product is, or is not, affected by a vulnerability. Palisade
// suppresses the findings a not_affected or fixed statement covers, showing its
// justification.
//
// A statement covers a known-vulnerability finding (finding.Vulnerability) when
//   - its vulnerability's name, @id or one of its aliases is the finding's ID or one
//     of its aliases (case-insensitively), and
//   - one of its products covers the finding's package: a product with no
//     subcomponents covers a package whose purl it matches, and every package of an
//     image it matches; a product with subcomponents covers the packages matched by
//     a subcomponent in the image the product matches.
//
// A purl of the statement matches a package's purl when type, namespace, name and
// subpath are equal (PyPI names compared as PEP 503 normalises them), its version is
// absent (every version) or equal, and each of its qualifiers has the same value in
// the package's purl. An image is matched by a pkg:oci purl: with a version (the
// manifest digest) by that digest alone; without one by the last path segment of its
// repository and the repository_url and tag qualifiers the purl gives. A component's
// sha-256 or sha-512 hash also matches the image of that digest.
//
// Statements follow each other in time: of the statements covering a finding, the
// latest wins (its last_updated, else its timestamp, else the document's timestamp;
// on a tie the later one in the order the documents and statements were given).
// Only a winning not_affected or fixed statement suppresses; a later affected or
// under_investigation statement brings the finding back.
//
// Documents are hostile input: Parse bounds their size, JSON nesting depth,
// statements, products and subcomponents, and an invalid document is an error
// naming the file and the line.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Limits on one document.
const (
	MaxSize          = 32 << 20 // bytes
	MaxDepth         = 32       // JSON nesting
	MaxStatements    = 100_000
	MaxProducts      = 10_000 // per statement
	MaxSubcomponents = 10_000 // per product
	MaxAliases       = 1_000  // per vulnerability
)

// Context is the @context prefix of OpenVEX documents ("https://openvex.dev/ns",
// "https://openvex.dev/ns/v0.2.0").
const Context = "https://openvex.dev/ns"

// Status is a statement's impact status.
type Status string

// The statuses of OpenVEX.
const (
	NotAffected        Status = "not_affected"
	Affected           Status = "affected"
	Fixed              Status = "fixed"
	UnderInvestigation Status = "under_investigation"
)

// Suppresses reports whether the status hides a finding (not_affected, fixed).
func (s Status) Suppresses() bool { return s == NotAffected || s == Fixed }

// Justifications are the labels a not_affected statement may give.
var Justifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

// Document is one OpenVEX document.
type Document struct {
	// File is where it was read from (as given to Parse).
	File string
	// ID is the document's @id; Author its author.
	ID, Author string
	// Timestamp is when it was issued; LastUpdated when last changed (zero if not
	// given).
	Timestamp, LastUpdated time.Time
	Version                int
	Statements             []*Statement
}

// Statement is one statement of a document.
type Statement struct {
	// Document is the document the statement is in; Line the line of the file its
	// object starts on.
	Document *Document
	Line     int
	// ID is the statement's @id, if any.
	ID            string
	Vulnerability Vulnerability
	Products      []Product
	Status        Status
	// Justification is the machine-readable label of a not_affected statement;
	// ImpactStatement says in words why it is not affected (untrusted text);
	// ActionStatement what to do about an affected one.
	Justification   string
	ImpactStatement string
	ActionStatement string
	// Time is when the statement was made: its last_updated, else its timestamp,
	// else its document's.
	Time time.Time

	order int // position among all statements of an Index
}

// Vulnerability names the vulnerability of a statement.
type Vulnerability struct {
	ID      string   // @id (an IRI)
	Name    string   // the main identifier, e.g. CVE-2023-12345
	Aliases []string // other identifiers
}

// Component identifies a product or subcomponent.
type Component struct {
	ID          string            // @id
	Identifiers map[string]string // purl, cpe22, cpe23
	Hashes      map[string]string // algorithm -> hex

	purls   []packageurl.PackageURL
	digests []string // "sha256:<hex>", "sha512:<hex>"
}

// Product is a statement's product and the subcomponents the statement is about.
type Product struct {
	Component
	Subcomponents []Component
}

// Load reads the documents of files, in order.
func Load(files []string) ([]*Document, error) {
	docs := make([]*Document, 0, len(files))
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("vex: %w", err)
		}
		d, err := Parse(file, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// Error is a document that cannot be used: its file, the line (0 when the problem
// is not at one place) and what is wrong.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("vex %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("vex %s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Parse reads one OpenVEX JSON document named file from r.
func Parse(file string, r io.Reader) (*Document, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, &Error{File: file, Err: err}
	}
	if len(data) > MaxSize {
		return nil, &Error{File: file, Err: fmt.Errorf("larger than %d bytes", MaxSize)}
	}
	p := parser{file: file, data: data, lines: lineStarts(data)}
	if off, ok := depthWithin(data, MaxDepth); !ok {
		return nil, p.errAt(off, fmt.Errorf("JSON nested deeper than %d levels", MaxDepth))
	}
	return p.document()
}

type parser struct {
	file  string
	data  []byte
	lines []int
}

// rawDocument and rawStatement are the JSON shapes; statements are decoded one by
// one to know their lines.
type rawDocument struct {
	Context     string `json:"@context"`
	ID          string `json:"@id"`
	Author      string `json:"author"`
	Timestamp   string `json:"timestamp"`
	LastUpdated string `json:"last_updated"`
	Version     json.Number
}

type rawStatement struct {
	ID              string           `json:"@id"`
	Vulnerability   rawVulnerability `json:"vulnerability"`
	Products        []rawProduct     `json:"products"`
	Status          string           `json:"status"`
	Justification   string           `json:"justification"`
	ImpactStatement string           `json:"impact_statement"`
	ActionStatement string           `json:"action_statement"`
	Timestamp       string           `json:"timestamp"`
	LastUpdated     string           `json:"last_updated"`
}

// rawVulnerability is the vulnerability object, or a bare name (OpenVEX before
// v0.2.0).
type rawVulnerability struct {
	ID      string   `json:"@id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
}

func (v *rawVulnerability) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &v.Name)
	}
	type plain rawVulnerability
	return json.Unmarshal(b, (*plain)(v))
}

type rawComponent struct {
	ID          string            `json:"@id"`
	Identifiers map[string]string `json:"identifiers"`
	Hashes      map[string]string `json:"hashes"`
}

// rawProduct is the product object, or a bare @id (OpenVEX before v0.2.0).
type rawProduct struct {
	rawComponent
	Subcomponents []rawComponent `json:"subcomponents"`
}

func (p *rawProduct) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &p.ID)
	}
	var v struct {
		rawComponent
		Subcomponents []json.RawMessage `json:"subcomponents"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	p.rawComponent = v.rawComponent
	if len(v.Subcomponents) > MaxSubcomponents {
		return fmt.Errorf("more than %d subcomponents", MaxSubcomponents)
	}
	for _, s := range v.Subcomponents {
		var c rawComponent
		if len(s) > 0 && s[0] == '"' {
			if err := json.Unmarshal(s, &c.ID); err != nil {
				return err
			}
		} else if err := json.Unmarshal(s, &c); err != nil {
			return err
		}
		p.Subcomponents = append(p.Subcomponents, c)
	}
	return nil
}

func (p *parser) document() (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(p.data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, p.jsonErr(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, p.errAt(0, errors.New("not a JSON object"))
	}
	var raw rawDocument
	type pending struct {
		off int
		raw rawStatement
	}
	var stmts []pending
	seenStatements := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, p.jsonErr(dec, err)
		}
		key, _ := tok.(string)
		var target any
		switch key {
		case "@context":
			target = &raw.Context
		case "@id":
			target = &raw.ID
		case "author":
			target = &raw.Author
		case "timestamp":
			target = &raw.Timestamp
		case "last_updated":
			target = &raw.LastUpdated
		case "version":
			target = &raw.Version
		case "statements":
			if seenStatements {
				return nil, p.errAt(int(dec.InputOffset()), errors.New("statements given twice"))
			}
			seenStatements = true
			tok, err := dec.Token()
			if err != nil {
				return nil, p.jsonErr(dec, err)
			}
			if tok == nil {
				continue
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return nil, p.errAt(int(dec.InputOffset()), errors.New("statements: not an array"))
			}
			for dec.More() {
				if len(stmts) == MaxStatements {
					return nil, p.errAt(int(dec.InputOffset()), fmt.Errorf("more than %d statements", MaxStatements))
				}
				off := p.skipSpace(int(dec.InputOffset()))
				var s rawStatement
				if err := dec.Decode(&s); err != nil {
					return nil, p.decodeErr(dec, off, err)
				}
				stmts = append(stmts, pending{off, s})
			}
			if _, err := dec.Token(); err != nil {
				return nil, p.jsonErr(dec, err)
			}
			continue
		default:
			target = new(json.RawMessage)
		}
		off := p.skipSpace(int(dec.InputOffset()))
		if err := dec.Decode(target); err != nil {
			return nil, p.decodeErr(dec, off, fmt.Errorf("%s: %w", key, err))
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, p.jsonErr(dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, p.errAt(int(dec.InputOffset()), errors.New("data after the document"))
	}

	if !strings.HasPrefix(raw.Context, Context) {
		return nil, p.errAt(0, fmt.Errorf("not an OpenVEX document (@context %q, want %s...)", clip(raw.Context), Context))
	}
	doc := &Document{File: p.file, ID: raw.ID, Author: raw.Author}
	if raw.Version != "" {
		v, err := raw.Version.Int64()
		if err != nil || v < 0 || v > 1<<31 {
			return nil, p.errAt(0, fmt.Errorf("version %q is not a document version", clip(string(raw.Version))))
		}
		doc.Version = int(v)
	}
	if doc.Timestamp, err = parseTime(raw.Timestamp); err != nil {
		return nil, p.errAt(0, fmt.Errorf("timestamp: %w", err))
	}
	if doc.LastUpdated, err = parseTime(raw.LastUpdated); err != nil {
		return nil, p.errAt(0, fmt.Errorf("last_updated: %w", err))
	}
	doc.Statements = make([]*Statement, 0, len(stmts))
	for i, ps := range stmts {
		s, err := statement(doc, &ps.raw)
		if err != nil {
			return nil, p.errAt(ps.off, fmt.Errorf("statement %d: %w", i+1, err))
		}
		s.Line = p.line(ps.off)
		doc.Statements = append(doc.Statements, s)
	}
	return doc, nil
}

// statement checks one statement and resolves what it inherits from doc.
func statement(doc *Document, r *rawStatement) (*Statement, error) {
	s := &Statement{
		Document: doc, ID: r.ID, Status: Status(r.Status),
		Justification: r.Justification, ImpactStatement: r.ImpactStatement, ActionStatement: r.ActionStatement,
		Vulnerability: Vulnerability{ID: r.Vulnerability.ID, Name: r.Vulnerability.Name, Aliases: r.Vulnerability.Aliases},
	}
	if strings.TrimSpace(s.Vulnerability.Name) == "" {
		return nil, errors.New("vulnerability has no name")
	}
	if len(s.Vulnerability.Aliases) > MaxAliases {
		return nil, fmt.Errorf("more than %d aliases", MaxAliases)
	}
	switch s.Status {
	case NotAffected:
		if s.Justification == "" && strings.TrimSpace(s.ImpactStatement) == "" {
			return nil, errors.New("not_affected needs a justification or an impact_statement")
		}
	case Affected, Fixed, UnderInvestigation:
	case "":
		return nil, errors.New("no status")
	default:
		return nil, fmt.Errorf("status %q is not one of not_affected, affected, fixed, under_investigation", clip(r.Status))
	}
	if s.Justification != "" {
		if s.Status != NotAffected {
			return nil, fmt.Errorf("justification with status %s (only not_affected has one)", s.Status)
		}
		if !validJustification(s.Justification) {
			return nil, fmt.Errorf("justification %q is not one of %s", clip(s.Justification), strings.Join(Justifications, ", "))
		}
	}
	ts, err := parseTime(r.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("timestamp: %w", err)
	}
	lu, err := parseTime(r.LastUpdated)
	if err != nil {
		return nil, fmt.Errorf("last_updated: %w", err)
	}
	switch {
	case !lu.IsZero() && lu.After(ts):
		s.Time = lu
	case !ts.IsZero():
		s.Time = ts
	default:
		s.Time = doc.Timestamp
	}
	if s.Time.IsZero() {
		return nil, errors.New("no timestamp (neither the statement nor the document gives one)")
	}
	if len(r.Products) == 0 {
		return nil, errors.New("no products")
	}
	if len(r.Products) > MaxProducts {
		return nil, fmt.Errorf("more than %d products", MaxProducts)
	}
	for i := range r.Products {
		rp := &r.Products[i]
		c, err := component(&rp.rawComponent)
		if err != nil {
			return nil, fmt.Errorf("product %d: %w", i+1, err)
		}
		p := Product{Component: c}
		for j := range rp.Subcomponents {
			sc, err := component(&rp.Subcomponents[j])
			if err != nil {
				return nil, fmt.Errorf("product %d: subcomponent %d: %w", i+1, j+1, err)
			}
			p.Subcomponents = append(p.Subcomponents, sc)
		}
		s.Products = append(s.Products, p)
	}
	return s, nil
}

// component reads the identifiers Palisade matches by: purls (@id and
// identifiers.purl) and sha-256/sha-512 hashes.
func component(r *rawComponent) (Component, error) {
	c := Component{ID: r.ID, Identifiers: r.Identifiers, Hashes: r.Hashes}
	add := func(what, s string) error {
		p, err := packageurl.FromString(s)
		if err != nil {
			return fmt.Errorf("%s %q: %w", what, clip(s), err)
		}
		c.purls = append(c.purls, p)
		return nil
	}
	if strings.HasPrefix(r.ID, "pkg:") {
		if err := add("@id", r.ID); err != nil {
			return c, err
		}
	}
	if s, ok := r.Identifiers["purl"]; ok {
		if err := add("identifiers.purl", s); err != nil {
			return c, err
		}
	}
	for alg, h := range r.Hashes {
		h = strings.ToLower(h)
		switch alg {
		case "sha-256":
			c.digests = append(c.digests, "sha256:"+h)
		case "sha-512":
			c.digests = append(c.digests, "sha512:"+h)
		}
	}
	sort.Strings(c.digests)
	if r.ID == "" && len(r.Identifiers) == 0 && len(r.Hashes) == 0 {
		return c, errors.New("no @id, identifiers or hashes")
	}
	return c, nil
}

func validJustification(j string) bool {
	for _, v := range Justifications {
		if j == v {
			return true
		}
	}
	return false
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", clip(s))
	}
	return t, nil
}

// clip shortens hostile text quoted in an error.
func clip(s string) string { return clipTo(s, 80) }

// clipTo shortens s to at most n bytes and "...", at a rune boundary.
func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// depthWithin reports whether data's JSON nesting stays within max, and else the
// offset where it goes deeper (a linear scan, before decoding).
func depthWithin(data []byte, max int) (int, bool) {
	depth, inString, escaped := 0, false, false
	for i, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				return i, false
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return 0, true
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// line is the 1-based line of offset off.
func (p *parser) line(off int) int {
	return sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off })
}

func (p *parser) skipSpace(off int) int {
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
			continue
		}
		break
	}
	return off
}

func (p *parser) errAt(off int, err error) error {
	return &Error{File: p.file, Line: p.line(off), Err: err}
}

// jsonErr is a syntax error at the place the decoder stopped.
func (p *parser) jsonErr(dec *json.Decoder, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return p.errAt(len(p.data), io.ErrUnexpectedEOF)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return p.errAt(int(se.Offset), err)
	}
	return p.errAt(int(dec.InputOffset()), err)
}

// decodeErr is an error decoding the value at off: a syntax or type error at its
// own offset, anything else at the value's start.
func (p *parser) decodeErr(dec *json.Decoder, off int, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return p.errAt(int(se.Offset), err)
	case errors.As(err, &te):
		// A type error's offset is within the value.
		return p.errAt(off+int(te.Offset), err)
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return p.errAt(len(p.data), io.ErrUnexpectedEOF)
	}
	return p.errAt(off, err)
}

// normalizedName is a purl name as its ecosystem compares names.
func normalizedName(typ, name string) string {
	return software.NormalizeName(software.Ecosystem(strings.ToLower(typ)), name)
}
