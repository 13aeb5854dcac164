package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/palisade-k8s/palisade/internal/dockerfile"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// Configuration files are the files beside the manifests that are not Kubernetes
// objects but hold settings, and so credentials: Helm values files, .env files,
// .npmrc, INI, .properties and TOML files. Each becomes an inventory.Object with
// Config set (see inventory.ConfigInfo): Ref palisade.dev/v1 ConfigFile named by the
// file, Body {"data": tree}, Lines "data.<path>".
//
// Which documents are configuration:
//   - a YAML or JSON document (of a file or standard input, not of a rendered chart or
//     overlay) that is a mapping with neither apiVersion nor kind; one with only one
//     of them is a broken manifest and stays an input error;
//   - a YAML or JSON document that is a sequence, unless one of its items is a
//     mapping with apiVersion or kind (a list of manifests, which kubectl refuses);
//   - every document of a chart's values files (values.yaml, values-*.yaml,
//     values.*.yaml, secrets.yaml, secrets.*.yaml at the chart's root) and of the
//     --values files of a chart scan;
//   - files found by name (configFormat): .env, .env.* (.env.example included: it
//     may hold real values), *.env, .npmrc, .pypirc, *.ini, *.properties, *.toml.
//
// A scalar document is neither, and an input error. Each document of a stream is
// judged alone: a file may mix objects and configuration.

// Formats of configuration files (inventory.ConfigInfo.Format).
const (
	formatYAML       = "yaml"
	formatJSON       = "json"
	formatDotenv     = "dotenv"
	formatINI        = "ini"
	formatNpmrc      = "npmrc"
	formatProperties = "properties"
	formatTOML       = "toml"
	formatDockerfile = "dockerfile" // not a configuration file: see parseDockerfile
)

// configFormat is the format of a configuration file that a walk reads by its name
// (not YAML or JSON, which are read as manifests), or "".
func configFormat(path string) string {
	if dockerfile.IsDockerfileName(path) {
		return formatDockerfile
	}
	name := strings.ToLower(filepath.Base(path))
	switch {
	case name == ".env" || strings.HasPrefix(name, ".env."):
		return formatDotenv
	case strings.HasSuffix(name, ".env"):
		return formatDotenv
	case name == ".npmrc":
		return formatNpmrc
	case name == ".pypirc", strings.HasSuffix(name, ".ini"):
		return formatINI
	case strings.HasSuffix(name, ".properties"):
		return formatProperties
	case strings.HasSuffix(name, ".toml"):
		return formatTOML
	}
	return ""
}

// configMode says whether the documents of a YAML stream may be configuration.
type configMode uint8

const (
	// configAllowed: a file or standard input; documents with neither apiVersion nor
	// kind are configuration.
	configAllowed configMode = iota
	// configNever: a rendered chart or overlay, whose documents must be objects.
	configNever
	// configOnly: a chart's values file: every document is configuration.
	configOnly
)

// streamFormat is the format of a YAML stream's configuration documents: json for a
// .json file, or a document that is JSON, else yaml.
func streamFormat(file string, data []byte) string {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json":
		return formatJSON
	case ".yaml", ".yml":
		return formatYAML
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
		return formatJSON
	}
	return formatYAML
}

// newConfigObject is the object of one configuration document that starts at line.
func newConfigObject(base finding.Location, line int, format string) *inventory.Object {
	o := &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: inventory.ConfigFileAPIVersion, Kind: inventory.ConfigFileKind, Name: base.File},
		Origin: base,
		Config: &inventory.ConfigInfo{Format: format},
	}
	o.Origin.Line = line
	return o
}

// decodeConfig reports whether configuration files are fully decoded.
func decodeConfig(opts *Options) bool {
	return opts.Decode != nil && opts.Decode(inventory.ConfigFileAPIVersion, inventory.ConfigFileKind)
}

// sopsKey is the key of the SOPS metadata of YAML, JSON and TOML files (a mapping at
// the top) and of INI files (a section); dotenv files have its entries flattened at
// the top, each named with sopsPrefix.
const (
	sopsKey    = "sops"
	sopsPrefix = "sops_"
)

// sopsInfo reads SOPS metadata (the entries of the "sops" mapping, values as text),
// or returns nil when the entries are not SOPS metadata: sops always writes mac,
// lastmodified and version, and a mapping with none of them is data that happens to
// be named "sops".
func sopsInfo(md map[string]string) *inventory.SOPSInfo {
	_, mac := md["mac"]
	_, lm := md["lastmodified"]
	_, v := md["version"]
	if !mac && !lm && !v {
		return nil
	}
	only, _ := strconv.ParseBool(md["mac_only_encrypted"])
	return &inventory.SOPSInfo{
		Version:                 md["version"],
		UnencryptedSuffix:       md["unencrypted_suffix"],
		EncryptedSuffix:         md["encrypted_suffix"],
		UnencryptedRegex:        md["unencrypted_regex"],
		EncryptedRegex:          md["encrypted_regex"],
		UnencryptedCommentRegex: md["unencrypted_comment_regex"],
		EncryptedCommentRegex:   md["encrypted_comment_regex"],
		MACOnlyEncrypted:        only,
	}
}

// sopsFromTree reads the SOPS metadata of a decoded tree's top-level "sops" mapping.
func sopsFromTree(tree any) *inventory.SOPSInfo {
	m, ok := tree.(map[string]any)
	if !ok {
		return nil
	}
	md, ok := m[sopsKey].(map[string]any)
	if !ok {
		return nil
	}
	flat := make(map[string]string, len(md))
	for k, v := range md {
		switch v := v.(type) {
		case string:
			flat[k] = v
		case bool, int64, float64:
			flat[k] = fmt.Sprint(v)
		case nil:
			flat[k] = ""
		}
	}
	return sopsInfo(flat)
}

// stripSOPS removes the SOPS metadata of a configuration file from its data and
// lines: it says how the file is encrypted, and is not the file's data.
func stripSOPS(o *inventory.Object, tree any) {
	if o.SOPS == nil {
		return
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return
	}
	if _, ok := m[sopsKey].(map[string]any); ok {
		delete(m, sopsKey)
		o.Lines.Remove("data", sopsKey)
	}
}

// configError is an input error at a line of a configuration file.
type configError struct {
	line int
	msg  string
}

// configResult assembles the object of a configuration file parsed by a line-based
// parser, and its errors: a file with undecodable lines is an input error at the
// first of them (with how many more), and its other entries are still scanned.
func configResult(base finding.Location, format string, tree map[string]any, lines *inventory.Lines, sops *inventory.SOPSInfo, errs []configError, decode bool) ([]*inventory.Object, []finding.InputError) {
	o := newConfigObject(base, 1, format)
	o.SOPS = sops
	if decode {
		o.Body, o.Lines = map[string]any{"data": tree}, lines
	}
	var ies []finding.InputError
	if len(errs) > 0 {
		loc := base
		loc.Line = errs[0].line
		msg := errs[0].msg
		if len(errs) > 1 {
			msg += fmt.Sprintf(" (and %d more lines)", len(errs)-1)
		}
		ies = append(ies, finding.InputError{Location: loc, Message: format + ": " + msg})
	}
	return []*inventory.Object{o}, ies
}
