package checktest

// Image fixtures: a container image described in YAML (fail.image.yaml,
// pass.image.yaml, fail-*.image.yaml, pass-*.image.yaml), made into an object of
// inventory.ImageKind with a MemImage and scanned like any input:
//
//	ref: registry.example.com/shop/web:1.0   # the reference (default fixture:<file>)
//	digest: sha256:...                        # default: the digest of the fixture text
//	platform: linux/amd64
//	config:                                   # the OCI config's "config" and "history"
//	  user: "0"
//	  env: [PATH=/usr/bin, ...]
//	  labels: {k: v}
//	  entrypoint: [...]
//	  cmd: [...]
//	  history:                                # default: one step per layer
//	  - created_by: RUN ...
//	    empty_layer: true
//	distro: {id: debian, versionID: "12", versionCodename: bookworm, prettyName: ...}
//	packages:
//	- {ecosystem: deb, name: openssh-server, version: 1:9.2p1-2, path: /var/lib/dpkg/status, layer: 0}
//	- {ecosystem: deb, name: libssl3, version: 3.0.11-1, sourceName: openssl, ...}
//	advisories:                               # OSV records (YAML of the JSON form): the
//	- id: CVE-2023-5678                       # packages are matched against them
//	  modified: "2024-01-01T00:00:00Z"        # (vuln.Match) as against the database
//	  affected: [...]
//	layers:                                   # base layer first
//	- created_by: ADD rootfs.tar /            # the layer's history step (optional)
//	  files:
//	  - path: /usr/bin/passwd
//	    mode: "4755"                          # octal, with the setuid/setgid/sticky bits
//	    uid: 0
//	    gid: 0
//	    type: file                            # file (default), dir, symlink, hardlink, other
//	    link: ...                             # symlink or hardlink target
//	    content: |                            # kept content (omit: not kept; size: N)
//	      ...
//	    size: 1024
//	  - path: /root/.npmrc
//	    deleted: true                         # a whiteout: the layer removes the path
//	want:                                     # fail fixtures: every finding of the rule
//	- rule: PAL-122
//	  path: /root/.npmrc                      # Finding.Path: the file, or the config field
//	  layer: 1                                # optional: Location.Image.LayerIndex
//	  message: "npm access token"             # optional: a regexp of the message
//
// An image finding has no line, so expectations are listed instead of marked; the
// check is exact both ways, as for the other fixtures.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/source"
)

// imageExt is the suffix of image fixtures.
const imageExt = ".image.yaml"

// ImageFixture is the YAML form of an image fixture.
type ImageFixture struct {
	Ref      string `yaml:"ref"`
	Digest   string `yaml:"digest"`
	Platform string `yaml:"platform"`
	Config   struct {
		User       string            `yaml:"user"`
		Env        []string          `yaml:"env"`
		Labels     map[string]string `yaml:"labels"`
		Entrypoint []string          `yaml:"entrypoint"`
		Cmd        []string          `yaml:"cmd"`
		WorkingDir string            `yaml:"workingDir"`
		History    []struct {
			CreatedBy  string `yaml:"created_by"`
			Comment    string `yaml:"comment"`
			EmptyLayer bool   `yaml:"empty_layer"`
		} `yaml:"history"`
	} `yaml:"config"`
	Distro *struct {
		ID              string   `yaml:"id"`
		IDLike          []string `yaml:"idLike"`
		VersionID       string   `yaml:"versionID"`
		VersionCodename string   `yaml:"versionCodename"`
		PrettyName      string   `yaml:"prettyName"`
	} `yaml:"distro"`
	Packages []struct {
		Ecosystem string `yaml:"ecosystem"`
		Name      string `yaml:"name"`
		Version   string `yaml:"version"`
		Path      string `yaml:"path"`
		Layer     int    `yaml:"layer"`
		// SourceName and SourceVersion are the source package (dpkg, apk origin).
		SourceName    string `yaml:"sourceName"`
		SourceVersion string `yaml:"sourceVersion"`
	} `yaml:"packages"`
	// Advisories are OSV records, written as YAML: with any, the image's packages
	// are matched against them (ImageInfo.Vulnerabilities), as the image source
	// matches against the vulnerability database.
	Advisories []map[string]any `yaml:"advisories"`
	Layers     []struct {
		CreatedBy string `yaml:"created_by"`
		Files     []struct {
			Path    string  `yaml:"path"`
			Type    string  `yaml:"type"`
			Mode    string  `yaml:"mode"`
			UID     int     `yaml:"uid"`
			GID     int     `yaml:"gid"`
			Link    string  `yaml:"link"`
			Content *string `yaml:"content"`
			Size    int64   `yaml:"size"`
			Deleted bool    `yaml:"deleted"`
		} `yaml:"files"`
	} `yaml:"layers"`
	Want []ImageWant `yaml:"want"`
}

// ImageWant is an expected finding of an image fixture.
type ImageWant struct {
	Rule    string `yaml:"rule"`
	Path    string `yaml:"path"`
	Layer   *int   `yaml:"layer"`
	Message string `yaml:"message"`
}

var entryTypes = map[string]inventory.ImageEntryType{
	"": inventory.EntryRegular, "file": inventory.EntryRegular, "dir": inventory.EntryDir,
	"symlink": inventory.EntrySymlink, "hardlink": inventory.EntryHardlink, "other": inventory.EntryOther,
}

// ParseImageFixture reads an image fixture ({{fake SET N}} placeholders expanded)
// into an object of inventory.ImageKind named name when the fixture names no ref.
func ParseImageFixture(name string, text []byte) (*inventory.Object, []ImageWant, error) {
	expanded, err := expandFakes(string(text))
	if err != nil {
		return nil, nil, err
	}
	var fx ImageFixture
	dec := yaml.NewDecoder(bytes.NewReader([]byte(expanded)))
	dec.KnownFields(true)
	if err := dec.Decode(&fx); err != nil {
		return nil, nil, err
	}
	info := &inventory.ImageInfo{Ref: fx.Ref, Digest: fx.Digest, Platform: fx.Platform, Source: "oci-layout"}
	if info.Ref == "" {
		info.Ref = "fixture:" + name
	}
	if info.Digest == "" {
		sum := sha256.Sum256(text)
		info.Digest = "sha256:" + hex.EncodeToString(sum[:])
	}
	c := &info.Config
	c.User, c.Env, c.Labels, c.Entrypoint, c.Cmd, c.WorkingDir = fx.Config.User, fx.Config.Env, fx.Config.Labels, fx.Config.Entrypoint, fx.Config.Cmd, fx.Config.WorkingDir
	var layers [][]ImageFile
	for li, l := range fx.Layers {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s layer %d", info.Digest, li))
		info.Layers = append(info.Layers, inventory.ImageLayer{
			Digest: "sha256:" + hex.EncodeToString(sum[:]), DiffID: "sha256:" + hex.EncodeToString(sum[:]), CreatedBy: l.CreatedBy,
		})
		var files []ImageFile
		for _, f := range l.Files {
			typ, ok := entryTypes[f.Type]
			if !ok {
				return nil, nil, fmt.Errorf("layer %d: %s: unknown type %q", li, f.Path, f.Type)
			}
			mode := fs.FileMode(0o644)
			if typ == inventory.EntryDir {
				mode = 0o755
			}
			if f.Mode != "" {
				n, err := strconv.ParseUint(f.Mode, 8, 32)
				if err != nil || n > 0o7777 {
					return nil, nil, fmt.Errorf("layer %d: %s: bad mode %q (want octal, up to 7777)", li, f.Path, f.Mode)
				}
				mode = fs.FileMode(n & 0o777)
				if n&0o4000 != 0 {
					mode |= fs.ModeSetuid
				}
				if n&0o2000 != 0 {
					mode |= fs.ModeSetgid
				}
				if n&0o1000 != 0 {
					mode |= fs.ModeSticky
				}
			}
			file := ImageFile{ImageEntry: inventory.ImageEntry{Path: f.Path, Type: typ, Mode: mode, UID: f.UID, GID: f.GID, Size: f.Size, Link: f.Link}, Deleted: f.Deleted}
			if f.Content != nil {
				file.Content = []byte(*f.Content)
			}
			files = append(files, file)
		}
		layers = append(layers, files)
	}
	if len(fx.Config.History) > 0 {
		layer := 0
		for _, h := range fx.Config.History {
			ih := inventory.ImageHistory{CreatedBy: h.CreatedBy, Comment: h.Comment, EmptyLayer: h.EmptyLayer, Layer: -1}
			if !h.EmptyLayer {
				ih.Layer = layer
				layer++
			}
			c.History = append(c.History, ih)
		}
	} else {
		for li, l := range info.Layers {
			c.History = append(c.History, inventory.ImageHistory{CreatedBy: l.CreatedBy, Layer: li})
		}
	}
	mem := NewMemImage(layers)
	info.Files = mem
	if d := fx.Distro; d != nil {
		info.Software.Distro = &software.Distro{ID: d.ID, IDLike: d.IDLike, VersionID: d.VersionID, VersionCodename: d.VersionCodename, PrettyName: d.PrettyName}
	}
	for _, p := range fx.Packages {
		pkg := software.Package{Ecosystem: software.Ecosystem(p.Ecosystem), Name: p.Name, Version: p.Version, SourceName: p.SourceName, SourceVersion: p.SourceVersion,
			Location: software.Location{Path: p.Path, Layer: p.Layer}}
		if p.Layer >= 0 && p.Layer < len(info.Layers) {
			pkg.Location.LayerDiffID = info.Layers[p.Layer].DiffID
		}
		info.Software.Packages = append(info.Software.Packages, pkg)
	}
	if len(fx.Advisories) > 0 {
		adv, err := ParseAdvisories(name, fx.Advisories)
		if err != nil {
			return nil, nil, err
		}
		_, errs, intern := source.MatchImage(context.Background(), adv, info.Ref, info)
		if len(errs) > 0 {
			return nil, nil, errors.New(errs[0].Message)
		}
		if len(intern) > 0 {
			return nil, nil, errors.New(intern[0].Message)
		}
	}
	return ImageObject(info), fx.Want, nil
}

// ParseAdvisories reads the advisories of a fixture (OSV records as YAML) into an
// in-memory database; each must be a valid OSV record.
func ParseAdvisories(name string, records []map[string]any) (Advisories, error) {
	var adv Advisories
	for i, m := range records {
		data, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("advisories[%d]: %v", i, err)
		}
		r, err := osv.ParseBytes(data, fmt.Sprintf("%s: advisories[%d]", name, i))
		if err != nil {
			return nil, err
		}
		r.Source = "fixture"
		adv = append(adv, r)
	}
	return adv, nil
}

// Advisories is an in-memory vulnerability database (vuln.Advisories): Lookup
// returns the records, withdrawn ones excluded, with an affected package of the
// ecosystem (any release of a distribution) whose name equals name, both compared
// by software.NormalizeName, as the vulnerability database does.
type Advisories []*osv.Record

// Lookup implements vuln.Advisories.
func (a Advisories) Lookup(eco software.Ecosystem, name string) ([]*osv.Record, error) {
	want := software.NormalizeName(eco, name)
	var out []*osv.Record
	for _, r := range a {
		if r.IsWithdrawn() {
			continue
		}
		for _, af := range r.Affected {
			e, err := osv.ParseEcosystem(af.Package.Ecosystem)
			if err == nil && e.Software == eco && software.NormalizeName(eco, af.Package.Name) == want {
				out = append(out, r)
				break
			}
		}
	}
	return out, nil
}

// ImageObject is the object the image source makes of an image: of
// inventory.ImageKind, named by its reference, with Image set.
func ImageObject(info *inventory.ImageInfo) *inventory.Object {
	return &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: finding.ConfigFileAPIVersion, Kind: inventory.ImageKind, Name: info.Ref},
		Origin: finding.Location{File: info.Ref, Provenance: finding.FromImage},
		Body:   map[string]any{"metadata": map[string]any{"name": info.Ref}},
		Image:  info,
	}
}

// ScanImages scans image objects as `palisade image` would, with the rules included
// (all when none) and the configuration cfg (nil: defaults).
func ScanImages(cfg *config.Config, include []string, objs ...*inventory.Object) (*scan.Result, error) {
	if cfg == nil {
		cfg = &config.Config{}
	}
	return scan.Run(scan.Options{Source: &source.Objects{Objects: objs, Inputs: len(objs), Name: "images"}, Config: cfg, Include: include, FailOn: "none", Workers: 1})
}

// checkImageFile runs one image fixture.
func checkImageFile(cfg *config.Config, rule, file string, data []byte, fail bool) []string {
	obj, wants, err := ParseImageFixture(file, data)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", file, err)}
	}
	var problems []string
	if !fail && len(wants) > 0 {
		problems = append(problems, fmt.Sprintf("%s: a pass fixture lists findings under want", file))
		wants = nil
	}
	if fail && len(wants) == 0 {
		problems = append(problems, fmt.Sprintf("%s: a fail fixture lists no finding of %s under want", file, rule))
	}
	var src source.Source = &source.Objects{Objects: []*inventory.Object{obj}, Inputs: 1, Name: "images"}
	src, err = withTrust(src, string(data))
	if err != nil {
		return append(problems, fmt.Sprintf("%s: %v", file, err))
	}
	res, err := scan.Run(scan.Options{Source: src, Config: cfg, Include: []string{rule}, FailOn: "none", Workers: 1})
	if err != nil {
		return append(problems, fmt.Sprintf("%s: scan: %v", file, err))
	}
	for _, e := range res.Report.Errors {
		problems = append(problems, fmt.Sprintf("%s: input error: %s", file, e.Message))
	}
	for _, e := range res.Report.Internal {
		problems = append(problems, fmt.Sprintf("%s: internal error: %v", file, e))
	}
	type exp struct {
		ImageWant
		re  *regexp.Regexp
		met bool
	}
	var exps []*exp
	for _, w := range wants {
		if w.Rule != rule {
			problems = append(problems, fmt.Sprintf("%s: want names %s in the fixtures of %s", file, w.Rule, rule))
			continue
		}
		re, err := regexp.Compile(w.Message)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: bad want message regexp: %v", file, err))
			continue
		}
		exps = append(exps, &exp{ImageWant: w, re: re})
	}
	for _, f := range res.Report.Findings {
		if f.RuleID != rule || f.Suppressed != nil {
			continue
		}
		if f.Location.Image == nil {
			problems = append(problems, fmt.Sprintf("%s: finding %s at %s has no image location: %s", file, rule, f.Path, f.Message))
			continue
		}
		found := false
		for _, e := range exps {
			if !e.met && e.Path == f.Path && e.re.MatchString(f.Message) && (e.Layer == nil || *e.Layer == f.Location.Image.LayerIndex) {
				e.met, found = true, true
				break
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("%s: unexpected finding %s at %s (layer %d): %s", file, rule, f.Path, f.Location.Image.LayerIndex, f.Message))
		}
	}
	for _, e := range exps {
		if !e.met {
			what := e.Path
			if e.Layer != nil {
				what += fmt.Sprintf(" (layer %d)", *e.Layer)
			}
			if e.Message != "" {
				what += fmt.Sprintf(" matching %q", e.Message)
			}
			problems = append(problems, fmt.Sprintf("%s: missing finding %s at %s", file, rule, what))
		}
	}
	return problems
}

// isImageFixture reports whether a fixture file describes an image.
func isImageFixture(file string) bool { return strings.HasSuffix(file, imageExt) }
