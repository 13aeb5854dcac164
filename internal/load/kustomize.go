package load

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"path/filepath"

	"go.yaml.in/yaml/v3"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// buildKustomization builds an overlay in-process with the kustomize API, as
// `kustomize build` does (no plugins, no helm, load restricted to each
// kustomization's root), after checkKustomization found nothing remote and nothing
// outside tree in its graph; kustomize reads through treeFS, below tree only. Each
// resource is a source naming the overlay and, where kustomize knows it, the file the
// resource came from. Kustomize's error messages may quote what it read: they are
// masked (the secret generators' values included) and bounded.
func buildKustomization(dir, tree string, opts *Options, addErr func(finding.InputError)) []source {
	quietLibraries()
	kfile := kustomizationFile(dir)
	limits := opts.Render.withDefaults()
	if chk := checkKustomization(dir, tree, limits.MaxBytes, false); len(chk.errs) > 0 {
		for _, e := range chk.errs {
			addErr(e)
		}
		return nil
	}
	fsys := originFS{FileSystem: newTreeFS(tree, limits.MaxBytes), kfile: kfile}
	k := krusty.MakeKustomizer(kustomizeOptions())
	rm, err := k.Run(fsys, dir)
	if err != nil {
		known := checkKustomization(dir, tree, limits.MaxBytes, true).known
		addErr(finding.InputError{
			Location: finding.Location{File: kfile, Renderer: "kustomize"},
			Message:  "kustomize build: " + untrusted(err.Error(), known...),
		})
		return nil
	}
	renderer := "kustomize overlay " + dir
	var (
		srcs  []source
		total int64
	)
	for _, r := range rm.Resources() {
		file := kfile
		if o, err := r.GetOrigin(); err == nil && o != nil && o.Path != "" && o.Repo == "" {
			file = filepath.Join(dir, filepath.FromSlash(o.Path))
		}
		r.RemoveBuildAnnotations()
		// The origin annotation was asked for by originFS, not by the user: drop it.
		if err := r.SetOrigin(nil); err != nil {
			addErr(finding.InputError{Location: finding.Location{File: file, Renderer: renderer}, Message: untrusted(err.Error())})
			continue
		}
		data, err := r.AsYAML()
		if err != nil {
			addErr(finding.InputError{Location: finding.Location{File: file, Renderer: renderer}, Message: untrusted(err.Error())})
			continue
		}
		if total += int64(len(data)); total > limits.MaxBytes {
			addErr(finding.InputError{
				Location: finding.Location{File: kfile, Renderer: "kustomize"},
				Message:  fmt.Sprintf("kustomize build: output over the limit of %s (--render-max-bytes)", formatBytes(limits.MaxBytes)),
			})
			return nil
		}
		srcs = append(srcs, bytesSource(finding.Location{File: file, Renderer: renderer, Rendered: true, Provenance: finding.FromRendered}, data))
	}
	return srcs
}

// quietLibraries sends the standard logger, through which kustomize and Helm print
// their diagnostics, nowhere: they quote what they read (kustomize logs the value of
// a var, the data of a Secret included), and Palisade reports what matters as input
// errors. Palisade itself does not use that logger.
func quietLibraries() { log.SetOutput(io.Discard) }

// kustomizeOptions are the options of every build: resources sorted as written, each
// kustomization's files below its root, no plugins (so no helm and no exec).
func kustomizeOptions() *krusty.Options {
	o := krusty.MakeDefaultOptions()
	o.LoadRestrictions = types.LoadRestrictionsRootOnly
	o.PluginConfig = types.DisabledPluginConfig()
	return o
}

// maxJSONPatchCopy bounds what the copy operations of one JSON patch may add (2 MiB,
// above the largest object the API server stores): each copy of a field into itself
// doubles it, so a short patch would otherwise build gigabytes.
const maxJSONPatchCopy = 2 << 20

func init() { jsonpatch.AccumulatedCopySizeLimit = maxJSONPatchCopy }

// originFS asks kustomize to record each resource's origin file by adding
// buildMetadata: [originAnnotations] to the top kustomization as it is read.
type originFS struct {
	filesys.FileSystem
	kfile string
}

func (f originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || !samePath(path, f.kfile) {
		return data, err
	}
	var m map[string]any
	if yaml.Unmarshal(data, &m) != nil || m == nil {
		return data, nil
	}
	if _, ok := m["buildMetadata"]; ok {
		return data, nil
	}
	return append(append(bytes.Clone(data), '\n'), "buildMetadata: [originAnnotations]\n"...), nil
}

func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// kustomizeLocalRefs lists the local kustomization directories (real paths) that a
// kustomization builds on, directly or not.
func kustomizeLocalRefs(dir, tree string, opts *Options) []string {
	return checkKustomization(dir, tree, opts.Render.withDefaults().MaxBytes, false).dirs
}
