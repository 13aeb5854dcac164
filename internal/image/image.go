// Package image reads container images without a daemon: OCI image layouts, OCI and
// `docker save` archives, registries (go-containerregistry) and root filesystem
// directories. Layers are streamed once and applied as a container runtime applies
// them (whiteouts, opaque directories, hardlinks; symlinks resolved inside the image
// root only) into an FS that keeps the metadata of every entry of every layer and
// the content of the files a reader asked for (Options.Keep): small files in
// memory, the rest in one file of a private 0700 temporary directory, written at
// generated offsets (never under an entry's name) and removed by FS.Close.
//
// Images are hostile input. An entry that would escape the root ("../", a symlinked
// parent leading above the root), a hardlink to nothing, an undecodable layer or a
// decompression bomb over Limits is a *LayerError naming the image, the layer and
// the entry, and the image is not read; device nodes and files over the
// kept-content limits are recorded and reported as notices (FS.Notices). At read
// time symlinks resolve inside the image as in a container ("/.." is "/").
// Nothing but a registry reference touches the network.
package image

import (
	"context"
	"fmt"
	"io/fs"
	"os"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// KeepFunc says from an entry's unrooted path, mode, size and first bytes (up to
// 512) whether its content is kept (software.Cataloger.Keep, secret candidates).
// head is valid only during the call.
type KeepFunc func(name string, mode fs.FileMode, size int64, head []byte) bool

// Options are how images are located and read.
type Options struct {
	// Platform selects one image of a multi-platform index ("linux/amd64",
	// "linux/arm64/v8"); "" means the host's. AllPlatforms reads every one.
	Platform     string
	AllPlatforms bool
	// Insecure lists registry hosts ("127.0.0.1:5000") reached over plain HTTP.
	Insecure []string
	// TempDir is where the private temporary directory is made ("": os.TempDir).
	TempDir string
	// Keep decides which files' content is kept.
	Keep KeepFunc
	// Limits bound what one image may cost; zero fields take DefaultLimits.
	Limits Limits
	// Progress, if set, is told about layers as they stream.
	Progress func(Progress)
}

// Limits bound the cost of one image.
type Limits struct {
	// MaxLayerBytes bounds one layer's uncompressed tar stream, MaxImageBytes all
	// of them.
	MaxLayerBytes, MaxImageBytes int64
	// MaxEntries bounds the entries of all layers.
	MaxEntries int
	// MaxKeptFileBytes bounds one kept file (larger ones are not kept and are
	// reported as a notice), MaxKeptBytes all kept content.
	MaxKeptFileBytes, MaxKeptBytes int64
}

// DefaultLimits are the limits of zero Limits fields.
var DefaultLimits = Limits{
	MaxLayerBytes:    16 << 30,
	MaxImageBytes:    64 << 30,
	MaxEntries:       4_000_000,
	MaxKeptFileBytes: 512 << 20,
	MaxKeptBytes:     8 << 30,
}

// Progress is the state of one image's read.
type Progress struct {
	Image         string
	Layer, Layers int   // the layer being read (1-based) and how many there are
	Bytes, Total  int64 // compressed bytes read so far and in all, when known
	Done          bool
}

// Image is one image (one platform of an index) located but not yet read.
type Image struct {
	inventory.ImageInfo
	layers []layerSource
	rootfs string
}

// LayerError is a layer that cannot be applied safely or read.
type LayerError struct {
	Image string // the reference
	Layer string // the layer's digest
	Entry string // the tar entry's name as written, "" for the whole layer
	Err   error
}

func (e *LayerError) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("image %s: layer %s: %v", e.Image, e.Layer, e.Err)
	}
	return fmt.Sprintf("image %s: layer %s: entry %q: %v", e.Image, e.Layer, e.Entry, e.Err)
}

func (e *LayerError) Unwrap() error { return e.Err }

// Open locates the images ref names: an OCI image layout directory, an OCI or
// docker-save tar archive, or else a registry reference (auth from the Docker
// config and its credential helpers). A multi-platform index yields the image of
// Options.Platform, or every image with AllPlatforms. Only a registry reference
// touches the network.
func Open(ctx context.Context, ref string, o Options) ([]*Image, error) {
	return open(ctx, ref, o)
}

// OpenRootFS treats a directory as the single layer of an image (--rootfs).
func OpenRootFS(dir string) (*Image, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	img := &Image{rootfs: dir}
	img.Ref, img.Source = dir, "rootfs"
	img.Layers = []inventory.ImageLayer{{}}
	return img, nil
}

// Read streams the image's layers once and applies them into an FS; the caller
// closes it. A layer that cannot be applied is a *LayerError.
func (img *Image) Read(ctx context.Context, o Options) (*FS, error) {
	return img.read(ctx, o)
}
