// Command ociimage builds Palisade's container image into an OCI image layout, without
// a container daemon and without the network: it compiles the static binaries for
// each platform, puts them in one layer with a non-root /etc/passwd, and writes a
// multi-platform index. The same source, toolchain, flags and SOURCE_DATE_EPOCH give
// the same digest. Run it with `make image`; push the layout with
// `crane push bin/image REF` or `skopeo copy --all oci:bin/image docker://REF`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	out := flag.String("o", "bin/image", "OCI image layout directory to write (replaced if it is one)")
	platforms := flag.String("platforms", "linux/amd64,linux/arm64", "comma-separated OS/ARCH list")
	version := flag.String("version", "dev", "version: stamped into the binary, the labels and the layout's ref name")
	revision := flag.String("revision", "", "commit the image is built from (org.opencontainers.image.revision)")
	source := flag.String("source", "https://github.com/palisade-k8s/palisade", "repository URL (org.opencontainers.image.source)")
	goCmd := flag.String("go", "go", "go command")
	flag.Parse()

	epoch, err := sourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		fail(err)
	}
	meta := Meta{Version: *version, Revision: *revision, Source: *source, Created: epoch}
	bins := []Binary{{Name: "palisade", Package: "./cmd/palisade"}}
	var plats []v1.Platform
	for _, s := range strings.Split(*platforms, ",") {
		p, err := v1.ParsePlatform(strings.TrimSpace(s))
		if err != nil {
			fail(err)
		}
		plats = append(plats, *p)
	}
	work, err := os.MkdirTemp("", "ociimage")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(work)
	images := map[string]v1.Image{}
	for _, p := range plats {
		files, err := Compile(*goCmd, ".", work, p, bins, *version)
		if err != nil {
			fail(err)
		}
		for _, f := range files {
			if st, err := os.Stat(f); err == nil {
				fmt.Fprintf(os.Stderr, "%s/%s %s: %.1f MB\n", p.OS, p.Architecture, filepath.Base(f), float64(st.Size())/1e6)
			}
		}
		if images[p.String()], err = Image(p, files, meta); err != nil {
			fail(err)
		}
	}
	idx := Index(images, plats, meta)
	if err := WriteLayout(*out, idx, *version); err != nil {
		fail(err)
	}
	d, err := idx.Digest()
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s@%s\n", *out, d)
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH (reproducible-builds.org): seconds since
// 1970; unset means 0, so that an unset variable never stamps the wall clock.
func sourceDateEpoch(s string) (time.Time, error) {
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ociimage:", err)
	os.Exit(1)
}
