package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// writeGovulncheckDB writes records (the Go database's data/osv) in the layout
// govulncheck reads with -db file://DIR (go.dev/doc/security/vuln/database):
// index/db.json (the newest modified time), index/modules.json (per module, its
// vulnerabilities' IDs and modified times; no "fixed", so govulncheck's client never
// skips a record by it) and ID/<id>.json, the records as they are.
func writeGovulncheckDB(dir string, records []map[string]any) error {
	if err := os.MkdirAll(filepath.Join(dir, "index"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "ID"), 0o755); err != nil {
		return err
	}
	type vuln struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
	}
	type module struct {
		Path  string `json:"path"`
		Vulns []vuln `json:"vulns"`
	}
	modules := map[string]*module{}
	var newest time.Time
	for _, r := range records {
		id, _ := r["id"].(string)
		if id == "" {
			return fmt.Errorf("a record without an id")
		}
		modified, err := time.Parse(time.RFC3339, fmt.Sprint(r["modified"]))
		if err != nil {
			return fmt.Errorf("%s: modified: %w", id, err)
		}
		if modified.After(newest) {
			newest = modified
		}
		f, err := os.Create(filepath.Join(dir, "ID", id+".json"))
		if err != nil {
			return err
		}
		err = writeJSON(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		affected, _ := r["affected"].([]any)
		seen := map[string]bool{}
		for _, a := range affected {
			am, _ := a.(map[string]any)
			pkg, _ := am["package"].(map[string]any)
			path, _ := pkg["name"].(string)
			if path == "" || seen[path] {
				continue
			}
			seen[path] = true
			m := modules[path]
			if m == nil {
				m = &module{Path: path}
				modules[path] = m
			}
			m.Vulns = append(m.Vulns, vuln{ID: id, Modified: modified})
		}
	}
	list := make([]*module, 0, len(modules))
	for _, m := range modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	if err := writeFile(filepath.Join(dir, "index", "modules.json"), list); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "index", "db.json"), map[string]any{"modified": newest})
}

func writeFile(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = writeJSON(f, v)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
