package software

import (
	"context"
	"io"
)

// Attribute says which layer added each entry of a package database that later
// layers may rewrite (dpkg's status, apk's installed, an rpmdb): for each key of final
// (an entry's identity, e.g. "name:arch", mapped to its version in the final
// database), the oldest layer from which every later layer's version of the file
// still lists the key with the same version. parse reads one version of the file into
// the same shape. Without layers (a directory) every entry is -1; when the layers kept
// no version of the file, every entry is LayerOf(name). A version that cannot be read
// stops the walk back: the entries keep the layer found so far.
func Attribute(ctx context.Context, layers Layers, name string, final map[string]string, parse func(io.Reader) (map[string]string, error)) map[string]int {
	out := make(map[string]int, len(final))
	if layers == nil {
		for k := range final {
			out[k] = -1
		}
		return out
	}
	vs := layers.Versions(name)
	if len(vs) == 0 {
		l := layers.LayerOf(name)
		for k := range final {
			out[k] = l
		}
		return out
	}
	alive := make(map[string]bool, len(final))
	for k := range final {
		out[k] = vs[len(vs)-1].Layer
		alive[k] = true
	}
	for i := len(vs) - 2; i >= 0 && len(alive) > 0 && ctx.Err() == nil; i-- {
		if vs[i].Open == nil {
			break
		}
		f, err := vs[i].Open()
		if err != nil {
			break
		}
		m, err := parse(f)
		f.Close()
		if err != nil {
			break
		}
		for k := range alive {
			if v, ok := m[k]; ok && v == final[k] {
				out[k] = vs[i].Layer
			} else {
				delete(alive, k)
			}
		}
	}
	return out
}

// AttributePackages sets the Location.Layer of pkgs, the packages read from name,
// a file listing many packages that later layers may rewrite (a package-lock.json,
// a deps.json, an installed.json): Attribute keyed by each package's PURL, which
// holds its version. parse reads one version of the file, of at most limit bytes
// (a larger version stops the walk back like one that cannot be read). Without
// layers the packages keep their Location.
func AttributePackages(ctx context.Context, layers Layers, name string, pkgs []Package, limit int64, parse func([]byte) ([]Package, error)) {
	if layers == nil || len(pkgs) == 0 {
		return
	}
	final := make(map[string]string, len(pkgs))
	for _, p := range pkgs {
		final[p.PURL] = ""
	}
	layer := Attribute(ctx, layers, name, final, func(r io.Reader) (map[string]string, error) {
		b, err := ReadAll(r, limit)
		if err != nil {
			return nil, err
		}
		listed, err := parse(b)
		if err != nil {
			return nil, err
		}
		m := make(map[string]string, len(listed))
		for _, p := range listed {
			m[p.PURL] = ""
		}
		return m, nil
	})
	for i := range pkgs {
		pkgs[i].Location.Layer = layer[pkgs[i].PURL]
	}
}
