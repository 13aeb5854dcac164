package inventory

import (
	"errors"
	"io/fs"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/vuln"
)

// ImageKind is the kind of a container image's object (ConfigFileAPIVersion): its
// Image field holds what was read, Body is {"metadata": {"name": ref}}. Only rules
// naming ImageKind in Rule.Kinds see it; they report with Pass.ReportImage.
const ImageKind = finding.ImageKind

// ErrNotKept is the error of opening an image file whose content was not kept.
var ErrNotKept = errors.New("file content not kept by the image reader")

// ImageInfo is a container image (or a root filesystem directory, or an SBOM) as read
// by the image source: its configuration, layers, packages and files.
type ImageInfo struct {
	// Ref is the image as the user named it; Digest the manifest digest ("" for a
	// directory or an SBOM without one); Platform "os/arch[/variant]".
	Ref, Digest, Platform string
	// Source says what was read: "registry", "oci-layout", "oci-archive",
	// "docker-archive", "rootfs", "sbom".
	Source string
	Config ImageConfig
	Layers []ImageLayer
	// Software is the inventory: distribution release and packages, with each
	// package's layer.
	Software software.Inventory
	// Files is the filesystem a container of the image sees, and every layer's
	// version of each path; nil for an SBOM. It is valid only while the object's
	// rules run (the source closes it afterwards).
	Files ImageFiles
	// Workloads are the objects that run the image (scan --images, cluster
	// --images), in input order.
	Workloads []finding.ObjectRef
	// Vulnerabilities are the known vulnerabilities of Software, matched against the
	// vulnerability database when the scan has one (nil otherwise).
	Vulnerabilities *vuln.Result
}

// ImageConfig is the image configuration a runtime reads (the OCI config's "config"
// and "history").
type ImageConfig struct {
	User         string
	Env          []string
	Labels       map[string]string
	Entrypoint   []string
	Cmd          []string
	WorkingDir   string
	ExposedPorts []string
	History      []ImageHistory
	// Created is the image creation time as the config records it (RFC 3339), "".
	Created string
}

// ImageHistory is one build step of the image config's history.
type ImageHistory struct {
	CreatedBy  string
	Comment    string
	EmptyLayer bool
	// Layer is the index of the layer the step produced, -1 for an empty layer.
	Layer int
}

// ImageLayer is one layer, base first.
type ImageLayer struct {
	// Digest is the (compressed) blob digest, DiffID the uncompressed digest.
	Digest, DiffID string
	// Size is the blob size in bytes.
	Size int64
	// CreatedBy is the history step that produced it, when known.
	CreatedBy string
}

// ImageFiles is an image's filesystem. As an fs.FS (unrooted paths: "etc/passwd") it
// is the merged view a container sees, symlinks resolved inside the image root; only
// files some reader asked to keep have content: opening another regular file fails
// with an error wrapping ErrNotKept (Stat and ReadDir work on every entry). Walk sees
// every entry of every layer.
type ImageFiles interface {
	fs.FS
	software.Layers
	// Walk calls fn for every entry of every layer, layer by layer in order and in
	// each layer in tar order, including entries a later layer removed or replaced
	// (Visible false). Whiteout markers are not entries.
	Walk(fn func(e *ImageEntry) error) error
	// OpenVersion opens the content of the entry of one layer (kept files only).
	OpenVersion(e *ImageEntry) (fs.File, error)
}

// ImageEntryType is the type of an entry.
type ImageEntryType uint8

// Entry types.
const (
	EntryRegular ImageEntryType = iota
	EntryDir
	EntrySymlink
	EntryHardlink
	EntryOther // devices, FIFOs
)

// ImageEntry is one entry of one layer.
type ImageEntry struct {
	// Path is absolute and clean ("/etc/passwd").
	Path  string
	Layer int
	Type  ImageEntryType
	// Mode holds the permission bits with fs.ModeSetuid, fs.ModeSetgid and
	// fs.ModeSticky as io/fs spells them.
	Mode     fs.FileMode
	UID, GID int
	Size     int64
	// Link is the target of a symlink or hardlink.
	Link string
	// Visible is true when a container sees this version (no later layer removed or
	// replaced it).
	Visible bool
	// HiddenBy is the layer that removed (whiteout, opaque directory) or replaced
	// this version when Visible is false.
	HiddenBy int
	// Kept is true when the content was kept (OpenVersion works).
	Kept bool
}

// Location is where the entry is, as a finding names it.
func (i *ImageInfo) Location(layer int, path, field string) finding.ImageLocation {
	loc := finding.ImageLocation{Ref: i.Ref, Digest: i.Digest, Platform: i.Platform, LayerIndex: layer, Path: path, Field: field}
	if layer >= 0 && layer < len(i.Layers) {
		loc.Layer = i.Layers[layer].DiffID
	}
	return loc
}
