package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/report"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/sbom"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// SBOM formats of palisade image: the software inventory as a document of its own
// rather than a report.
const (
	formatCycloneDX = "cyclonedx"
	formatSPDX      = "spdx-json"
)

// imageFlags are the flags that say how images are read (palisade image, and scan
// and cluster with --images).
type imageFlags struct {
	images       bool // scan, cluster: --images
	platform     string
	allPlatforms bool
	insecure     []string
	timeout      time.Duration
	parallel     int
	cache        string
	vuln         vulnFlags
}

func (im *imageFlags) register(f *pflag.FlagSet, withImages bool) {
	when := ""
	if withImages {
		f.BoolVar(&im.images, "images", false, "also read the image of every container (init and ephemeral too) of the scanned workloads, once per digest, and check inside it (reaches the registries the images name)")
		when = "with --images: "
		def := ""
		if dir, err := os.UserCacheDir(); err == nil {
			def = filepath.Join(dir, "palisade", "images")
		}
		f.StringVar(&im.cache, "image-cache", def, when+"cache of analysed images, keyed by digest: a cached image is not pulled again (\"\" for none)")
	}
	f.StringVar(&im.platform, "platform", "", when+"platform of a multi-platform image to read, os/arch[/variant] (default the host's)")
	f.BoolVar(&im.allPlatforms, "all-platforms", false, when+"read every platform of a multi-platform image")
	f.StringArrayVar(&im.insecure, "insecure-registry", nil, when+"registry HOST[:PORT] reached over plain HTTP (repeatable)")
	f.DurationVar(&im.timeout, "image-timeout", 10*time.Minute, when+"bound on reading one image (pull, layers, packages)")
	f.IntVar(&im.parallel, "image-parallel", 2, when+"images read at once")
	im.vuln.register(f, when)
}

// source is how the flags read images; stderr receives the progress.
func (im *imageFlags) source(stderr io.Writer) (source.Images, error) {
	if im.parallel < 1 {
		return source.Images{}, errors.New("--image-parallel must be at least 1")
	}
	if im.platform != "" && im.allPlatforms {
		return source.Images{}, errors.New("--platform and --all-platforms exclude each other")
	}
	s := source.Images{Timeout: im.timeout, Parallel: im.parallel, Cache: im.cache, Version: Version,
		Progress: stderr, Live: isTerminal(stderr)}
	s.Options.Platform, s.Options.AllPlatforms, s.Options.Insecure = im.platform, im.allPlatforms, im.insecure
	db, err := im.vuln.database()
	if err != nil {
		return source.Images{}, err
	}
	s.DB = db
	return s, nil
}

// withImages wraps the source of scan or cluster when --images is given: the images
// are read, and verified against the configuration's images policy when it has one.
func (im *imageFlags) withImages(src source.Source, cfg *config.Config, stderr io.Writer) (source.Source, error) {
	if !im.images {
		return src, nil
	}
	imgs, err := im.source(stderr)
	if err != nil {
		return nil, err
	}
	trust, err := im.trust(cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	return &source.WorkloadImages{Source: src, Images: imgs, Trust: trust}, nil
}

func newImage(stdout, stderr io.Writer) *cobra.Command {
	var (
		o          scan.Options
		out        outputFlags
		im         imageFlags
		configFile string
		rootfs     []string
		sboms      []string
		outputDir  string
	)
	c := &cobra.Command{
		Use:   "image [REF | PATH]...",
		Short: "Read container images without a daemon: list their packages and check inside them",
		Long: `Read container images and check them with the image rules (runs as root, secrets in the
configuration and in files, also in layers a later one deleted them from, setuid files,
world-writable files, SSH servers, end-of-life distributions, ...): the same findings,
configuration, suppression, baselines, report formats and exit codes as scan.

An image is a registry reference (registry/repo:tag or @sha256:..., with the
credentials of the Docker configuration and its credential helpers), an OCI image
layout directory, an OCI archive or a docker save archive. --rootfs DIR reads a root
filesystem directory (an unpacked image, a VM); --sbom FILE a CycloneDX or SPDX JSON
document, so that CI can check what a build produced. No container daemon is needed and
nothing but the registries named is reached.

The report lists each image (digest, platform, distribution, packages per ecosystem;
-o json: every package), then the findings. -o cyclonedx and -o spdx-json write the
software bill of materials instead (CycloneDX 1.6, SPDX 2.3): one document, so name one
image, or give --output-dir DIR for one file per image. The rules still run, and the
exit code still follows --fail-on (use --fail-on none for an SBOM alone).

Known vulnerabilities: every package is matched against the local vulnerability
database (--db, filled by palisade db import; nothing is fetched at scan time) by its
exact name in the advisory's ecosystem and its version in that ecosystem's own order.
Each vulnerability is one PAL-130 finding with its evidence (every ID, the range that
matched, the fixed versions, the file and layer, the CVSS severity). --ignore-unfixed
leaves out those without a fix; --vex FILE suppresses what an OpenVEX document says
does not affect the image; a source older than --max-db-age is a notice, or with
--fail-on-stale-db an input error.

Progress goes to standard error: redrawn in place on a terminal, else one line per
image; never into the report.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage or
configuration error; 3 an image could not be read (a hostile layer names the layer and
the entry), or a stale database with --fail-on-stale-db; 4 internal error (a bug to
report; the report covers the rest).`,
		Example: `  palisade image registry.example.com/shop/web:1.4.2
  palisade image ./build/oci-layout --platform linux/arm64
  palisade image app.tar -o cyclonedx --output-file app.cdx.json
  palisade image --rootfs /mnt/vm-root
  palisade image --sbom build/sbom.spdx.json --fail-on medium
  palisade image app.tar --ignore-unfixed --vex app.vex.json --fail-on critical`,
		RunE: func(cmd *cobra.Command, args []string) error {
			inputs := len(args) + len(rootfs) + len(sboms)
			if inputs == 0 {
				return errors.New("image needs at least one image: REF or PATH, --rootfs DIR or --sbom FILE")
			}
			sbomOut := out.format == formatCycloneDX || out.format == formatSPDX
			if sbomOut && outputDir == "" && (inputs > 1 || im.allPlatforms) {
				fmt.Fprintf(stderr, "palisade: -o %s writes one document: name one image, or give --output-dir DIR for one file per image\n", out.format)
				return exitError{ExitUsage}
			}
			if outputDir != "" && !sbomOut {
				fmt.Fprintln(stderr, "palisade: --output-dir is for -o cyclonedx and -o spdx-json")
				return exitError{ExitUsage}
			}
			if sbomOut && o.Framework != "" {
				fmt.Fprintln(stderr, "palisade: --framework and an SBOM format exclude each other")
				return exitError{ExitUsage}
			}
			format := out.format
			if sbomOut {
				out.format = "text" // checked by prepare; the SBOM is written instead
			}
			cfg, err := out.prepare(&o, configFile, stderr)
			out.format = format
			if err != nil {
				return err
			}
			cfg = im.vuln.configure(cfg)
			src, err := im.source(stderr)
			if err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			src.Refs, src.RootFS, src.SBOMs = args, rootfs, sboms
			o.Source, o.Config, o.Version = &src, cfg, Version
			if !sbomOut {
				return out.run(cmd.Context(), o, stdout, stderr)
			}
			return out.runSBOM(cmd, o, outputDir, stdout, stderr)
		},
	}
	f := c.Flags()
	out.register(c, &o, &configFile)
	registerVEX(f, &o)
	f.Lookup("output").Usage = "report format: " + strings.Join(append(report.Formats(), formatCycloneDX, formatSPDX), ", ")
	im.register(f, false)
	f.StringArrayVar(&rootfs, "rootfs", nil, "read a root filesystem directory as an image (repeatable)")
	f.StringArrayVar(&sboms, "sbom", nil, "read a CycloneDX or SPDX JSON SBOM as an image's inventory (repeatable)")
	f.StringVar(&outputDir, "output-dir", "", "with -o cyclonedx or spdx-json: write one document per image into this directory")
	c.AddCommand(newImageVerify(stdout, stderr))
	return c
}

// runSBOM scans and writes the SBOM of each image instead of the report.
func (out *outputFlags) runSBOM(cmd *cobra.Command, o scan.Options, dir string, stdout, stderr io.Writer) error {
	res, err := scan.RunContext(cmd.Context(), o)
	if err != nil {
		safetext.Fprintln(stderr, "palisade:", err)
		return exitError{ExitUsage}
	}
	write := sbom.WriteCycloneDX
	ext := ".cdx.json"
	if out.format == formatSPDX {
		write, ext = sbom.WriteSPDX, ".spdx.json"
	}
	tool := sbom.Tool{Name: "palisade", Version: Version}
	used := map[string]bool{}
	for _, obj := range res.Input.Inventory.Objects {
		if obj.Image == nil {
			continue
		}
		subj := source.SBOMSubject(obj.Image)
		subj.Vulnerabilities = imageVulnerabilities(res.Report.Findings, obj.Ref, obj.Image.Digest)
		if dir == "" {
			w := stdout
			if out.outFile != "" {
				f, err := os.Create(out.outFile)
				if err != nil {
					safetext.Fprintln(stderr, "palisade:", err)
					return exitError{ExitUsage}
				}
				defer f.Close()
				w = f
			}
			if err := write(w, subj, tool); err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitInternal}
			}
			continue
		}
		name := sbomFileName(obj.Ref.Name, used) + ext
		if err := writeSBOMFile(filepath.Join(dir, name), write, subj, tool); err != nil {
			safetext.Fprintln(stderr, "palisade:", err)
			return exitError{ExitUsage}
		}
		safetext.Fprintf(stderr, "palisade: wrote %s\n", filepath.Join(dir, name))
	}
	if out.writeBaseline != "" {
		n, err := scan.WriteBaseline(res, out.writeBaseline)
		if err != nil {
			safetext.Fprintln(stderr, "palisade:", err)
			return exitError{ExitUsage}
		}
		safetext.Fprintf(stderr, "palisade: wrote %d findings to baseline %s\n", n, out.writeBaseline)
	}
	for _, e := range res.Report.Errors {
		safetext.Fprintln(stderr, "palisade: input error:", e.Error())
	}
	writeCoverage(res.Report, stderr)
	for _, n := range res.Report.Notices {
		safetext.Fprintf(stderr, "palisade: notice: %s\n", n)
	}
	if s := res.Report.Summary; s.Findings > 0 {
		safetext.Fprintf(stderr, "palisade: %d findings (list them with -o text or -o json)\n", s.Findings)
	}
	if code := res.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
}

// imageVulnerabilities are the known-vulnerability findings of the image object
// ref (of that digest), suppressed ones included (a VEX statement's analysis).
func imageVulnerabilities(fs []finding.Finding, ref finding.ObjectRef, digest string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Vulnerability == nil || f.Object != ref {
			continue
		}
		if img := f.Location.Image; img != nil && img.Digest != "" && digest != "" && img.Digest != digest {
			continue
		}
		out = append(out, f)
	}
	return out
}

func writeSBOMFile(file string, write func(io.Writer, sbom.Subject, sbom.Tool) error, s sbom.Subject, t sbom.Tool) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := write(f, s, t); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// sbomFileName is a file name for an image's SBOM: the image's name with every
// character but letters, digits, '.', '-' and '_' replaced by '_', unique among used.
func sbomFileName(image string, used map[string]bool) string {
	b := []byte(image)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.' && i > 0:
		default:
			b[i] = '_'
		}
	}
	name := string(b)
	if len(name) > 200 {
		name = name[:200]
	}
	base := name
	for n := 2; used[name]; n++ {
		name = fmt.Sprintf("%s-%d", base, n)
	}
	used[name] = true
	return name
}
