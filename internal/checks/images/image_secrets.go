package images

// PAL-121..PAL-123: credentials baked into an image. Anyone who can pull an image
// reads its configuration (docker inspect: ENV, labels), its build history (docker
// history: the commands of RUN steps with the ARG values they saw) and every layer,
// including the files a later layer deleted: a layer is a tar archive that stays in
// the image whatever the layers above it say.

import (
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/secrets"
)

// argScanner reads the password flags of client programs in the image's command.
var argScanner = secrets.New(secrets.DefaultOptions())

// secretDigests are the digests of matches.
func secretDigests(ms []secrets.Match) [][32]byte {
	out := make([][32]byte, len(ms))
	for i := range ms {
		out[i] = ms[i].Digest
	}
	return out
}

// describeMatches names the first match (masked) and counts the others.
func describeMatches(ms []secrets.Match) string {
	s := fmt.Sprintf("%s %s (%s)", article(ms[0].Kind), ms[0].Kind, ms[0].Masked)
	if ms[0].Line > 1 {
		s += fmt.Sprintf(" on line %d", ms[0].Line)
	}
	if len(ms) > 1 {
		s += fmt.Sprintf(" and %d more", len(ms)-1)
	}
	return s
}

// article is "a" or "an" before a detector's kind ("an AWS access key ID").
func article(kind string) string {
	if kind != "" && strings.ContainsRune("AEIOaeiou", rune(kind[0])) || strings.HasPrefix(kind, "npm") || strings.HasPrefix(kind, "SSH") || strings.HasPrefix(kind, "RSA") {
		return "an"
	}
	return "a"
}

// fileSecrets finds the secrets in the content of a credential file read from an
// image. The detectors read every format of the candidates (PEM blocks, INI and
// .npmrc assignments, JSON members, Docker auths, URLs with credentials); .netrc
// separates its keywords from their values with white space, so its password
// tokens are checked one by one.
func fileSecrets(name string, content []byte) []secrets.Match {
	text := string(content)
	ms := secrets.Detect("", text)
	switch path.Base(name) {
	case ".netrc", "_netrc":
		seen := map[[32]byte]bool{}
		for _, m := range ms {
			seen[m.Digest] = true
		}
		fields := strings.Fields(text)
		for i := 0; i+1 < len(fields); i++ {
			if fields[i] != "password" && fields[i] != "passwd" {
				continue
			}
			for _, m := range secrets.Detect("password", fields[i+1]) {
				if !seen[m.Digest] {
					seen[m.Digest] = true
					m.Offset, m.Line = -1, 0 // the offset is in the token, not the file
					ms = append(ms, m)
				}
			}
		}
	}
	return ms
}

// readKept reads a kept entry's content, up to secrets.MaxCandidateSize.
func readKept(files inventory.ImageFiles, e *inventory.ImageEntry) ([]byte, error) {
	f, err := files.OpenVersion(e)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, secrets.MaxCandidateSize))
}

// fileFinding is a secret found in one version of a file.
type fileFinding struct {
	e  *inventory.ImageEntry
	ms []secrets.Match
}

// scanCredentialFiles reads the kept credential files of the image (secrets.
// FileCandidate), visible or not, and returns those holding secrets, in layer order,
// with every entry of the image for the caller's other questions.
func scanCredentialFiles(img *inventory.ImageInfo) (found []fileFinding, all []*inventory.ImageEntry, err error) {
	if img.Files == nil {
		return nil, nil, nil
	}
	err = img.Files.Walk(func(e *inventory.ImageEntry) error {
		all = append(all, e)
		if e.Type != inventory.EntryRegular || !e.Kept || !secrets.FileCandidate(e.Path, e.Size) {
			return nil
		}
		data, err := readKept(img.Files, e)
		if err != nil {
			return fmt.Errorf("%s (layer %d): %w", e.Path, e.Layer, err)
		}
		if ms := fileSecrets(e.Path, data); len(ms) > 0 {
			found = append(found, fileFinding{e: e, ms: ms})
		}
		return nil
	})
	return found, all, err
}

// remover says which later layer hid entry e (ImageEntry.HiddenBy): one that put
// another entry at its path or at a parent directory replaced it, any other removed
// it (a whiteout or an opaque directory).
func remover(all []*inventory.ImageEntry, e *inventory.ImageEntry) string {
	for _, x := range all {
		if x.Layer != e.HiddenBy {
			continue
		}
		if x.Path == e.Path {
			return fmt.Sprintf("replaced in layer %d", x.Layer)
		}
		if strings.HasPrefix(e.Path, x.Path+"/") && x.Type != inventory.EntryDir {
			return fmt.Sprintf("replaced in layer %d (%s)", x.Layer, x.Path)
		}
	}
	return fmt.Sprintf("deleted in layer %d", e.HiddenBy)
}

func init() {
	registerImage(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-121", Title: "Secret in the image configuration", Severity: high,
			Rationale: "ENV values, labels and the command line (Entrypoint and Cmd) are stored in the image configuration, and the build history keeps the command of every RUN step with the ARG values it saw " +
				"(RUN |1 NPM_TOKEN=... /bin/sh -c ...): anyone who can pull the image reads them with docker inspect or docker history, and every container gets the ENV values.",
			Remediation: "Pass build secrets with RUN --mount=type=secret (docker build --secret) instead of ARG or ENV, and runtime secrets from a Kubernetes Secret; rebuild the image and rotate the exposed credential.",
			References:  []string{refBuildSecrets, refOCIConfig},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			img := o.Image
			if img == nil {
				return
			}
			reported := map[[32]byte]bool{}
			report := func(field, what string, ms []secrets.Match) {
				var fresh []secrets.Match
				for _, m := range ms {
					if !reported[m.Digest] {
						reported[m.Digest] = true
						fresh = append(fresh, m)
					}
				}
				if len(fresh) > 0 {
					p.ReportImage(img.Location(-1, "", field), secretDigests(fresh), "%s holds %s", what, describeMatches(fresh))
				}
			}
			for i, kv := range img.Config.Env {
				name, val, _ := strings.Cut(kv, "=")
				report(fmt.Sprintf("config.Env[%d]", i), "ENV "+name, secrets.Detect(name, val))
			}
			keys := make([]string, 0, len(img.Config.Labels))
			for k := range img.Config.Labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				report(fmt.Sprintf("config.Labels[%q]", k), "label "+k, secrets.Detect(k, img.Config.Labels[k]))
			}
			// The command line the image runs: each argument, and the password flags
			// of client programs (["mysql", "-pS3cr3t"]).
			args := append(append([]string(nil), img.Config.Entrypoint...), img.Config.Cmd...)
			argField := func(i int) string {
				if i < len(img.Config.Entrypoint) {
					return fmt.Sprintf("config.Entrypoint[%d]", i)
				}
				return fmt.Sprintf("config.Cmd[%d]", i-len(img.Config.Entrypoint))
			}
			byArg := map[int][]secrets.Match{}
			for _, am := range argScanner.DetectArgs(args) {
				byArg[am.Index] = append(byArg[am.Index], am.Match)
			}
			for i, a := range args {
				report(argField(i), "the command-line argument "+argField(i), append(byArg[i], secrets.Detect("", a)...))
			}
			for i, h := range img.Config.History {
				what := fmt.Sprintf("build step %d", i)
				if h.Layer >= 0 {
					what += fmt.Sprintf(" (layer %d)", h.Layer)
				}
				report(fmt.Sprintf("history[%d].created_by", i), what, secrets.Detect("", h.CreatedBy))
			}
		},
	})
	registerImage(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-122", Title: "Credential file in the image", Severity: high,
			Rationale: "A private key, cloud or cluster credentials (.aws/credentials, gcloud application default credentials, .azure, .kube/config) or registry and tool tokens " +
				"(.npmrc, .pypirc, .docker/config.json, .git-credentials, .netrc, .env) in an image are readable by anyone who can pull it and by every process of every container that runs it.",
			Remediation: "Do not copy credentials into images: list them in .dockerignore, pass build credentials with RUN --mount=type=secret or --mount=type=ssh, mount runtime credentials from a Kubernetes Secret or use workload identity; rebuild and rotate the credential.",
			References:  []string{refBuildSecrets, refDockerignore},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			img := o.Image
			if img == nil {
				return
			}
			found, _, err := scanCredentialFiles(img)
			if err != nil {
				p.Fail(err)
			}
			for _, f := range found {
				// SSH host keys are PAL-126's: a key every container of the image shares.
				if f.e.Visible && !isHostKey(f.e.Path) {
					p.ReportImage(img.Location(f.e.Layer, f.e.Path, ""), secretDigests(f.ms), "%s (added in layer %d) holds %s", f.e.Path, f.e.Layer, describeMatches(f.ms))
				}
			}
		},
	})
	registerImage(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-123", Title: "Secret deleted in a later layer is still in the image", Severity: high,
			Rationale: "Deleting or overwriting a file in a later build step hides it from containers but not from the image: the layer that added it is still a tar archive in the image, " +
				"and anyone who can pull the image extracts it (docker save, crane export). The credential is as exposed as if it had never been deleted.",
			Remediation: "Rebuild without ever writing the credential into a layer (RUN --mount=type=secret, a multi-stage build that copies only the artifacts, .dockerignore), remove the old image from every registry, and rotate the credential.",
			References:  []string{refBuildSecrets, refBuildBestPract},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			img := o.Image
			if img == nil {
				return
			}
			found, all, err := scanCredentialFiles(img)
			if err != nil {
				p.Fail(err)
			}
			visible := map[[32]byte]bool{}
			for _, f := range found {
				if f.e.Visible {
					for _, m := range f.ms {
						visible[m.Digest] = true
					}
				}
			}
			for _, f := range found {
				if f.e.Visible {
					continue
				}
				var hidden []secrets.Match
				for _, m := range f.ms {
					if !visible[m.Digest] { // still visible elsewhere: PAL-122 reports it
						hidden = append(hidden, m)
					}
				}
				if len(hidden) > 0 {
					p.ReportImage(img.Location(f.e.Layer, f.e.Path, ""), secretDigests(hidden), "%s in layer %d holds %s, %s but still in the image",
						f.e.Path, f.e.Layer, describeMatches(hidden), remover(all, f.e))
				}
			}
		},
	})
}
