package load

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// buildKustomization builds an overlay in-process with the kustomize API, as
// `kustomize build` does (no plugins, load restricted to the overlay's root). Each
// resource is a source naming the overlay and, where kustomize knows it, the file the
// resource came from.
func buildKustomization(dir string, addErr func(finding.InputError)) []source {
	kfile := kustomizationFile(dir)
	fsys := originFS{FileSystem: filesys.MakeFsOnDisk(), kfile: kfile}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(fsys, dir)
	if err != nil {
		addErr(finding.InputError{
			Location: finding.Location{File: kfile, Renderer: "kustomize"},
			Message:  "kustomize build: " + err.Error(),
		})
		return nil
	}
	renderer := "kustomize overlay " + dir
	var srcs []source
	for _, r := range rm.Resources() {
		file := kfile
		if o, err := r.GetOrigin(); err == nil && o != nil && o.Path != "" && o.Repo == "" {
			file = filepath.Join(dir, filepath.FromSlash(o.Path))
		}
		r.RemoveBuildAnnotations()
		// The origin annotation was asked for by originFS, not by the user: drop it.
		if err := r.SetOrigin(nil); err != nil {
			addErr(finding.InputError{Location: finding.Location{File: file, Renderer: renderer}, Message: err.Error()})
			continue
		}
		data, err := r.AsYAML()
		if err != nil {
			addErr(finding.InputError{Location: finding.Location{File: file, Renderer: renderer}, Message: err.Error()})
			continue
		}
		srcs = append(srcs, bytesSource(finding.Location{File: file, Renderer: renderer, Rendered: true}, data))
	}
	return srcs
}

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

// kustomizeLocalRefs lists the local directories (absolute) that a kustomization
// builds on through resources, bases or components.
func kustomizeLocalRefs(dir string) []string {
	data, err := os.ReadFile(kustomizationFile(dir))
	if err != nil {
		return nil
	}
	var k struct {
		Resources  []string `yaml:"resources"`
		Bases      []string `yaml:"bases"`
		Components []string `yaml:"components"`
	}
	if yaml.Unmarshal(data, &k) != nil {
		return nil
	}
	var out []string
	for _, r := range append(append(k.Resources, k.Bases...), k.Components...) {
		if strings.Contains(r, "://") {
			continue
		}
		p := filepath.Join(dir, r)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			if abs, err := filepath.Abs(p); err == nil {
				out = append(out, abs)
			}
		}
	}
	return out
}
