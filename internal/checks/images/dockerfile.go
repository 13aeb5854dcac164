package images

// Dockerfiles decide what goes into an image and how it runs: the user of its
// processes, the base image it inherits, what is downloaded and copied into it. The
// rules here read the palisade.dev/v1 Dockerfile objects the loader makes of
// Dockerfiles and Containerfiles (inventory.DockerfileKind): stages with their base
// image (global ARG defaults substituted) and instructions with their arguments.

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/secrets"
)

const (
	catDockerfile = "dockerfile"

	refDockerfile      = "https://docs.docker.com/reference/dockerfile/"
	refBuildBestPract  = "https://docs.docker.com/build/building/best-practices/"
	refBuildSecrets    = "https://docs.docker.com/build/building/secrets/"
	refDockerignore    = "https://docs.docker.com/build/concepts/context/#dockerignore-files"
	refDockerfileUser  = "https://docs.docker.com/reference/dockerfile/#user"
	refDockerfileAdd   = "https://docs.docker.com/reference/dockerfile/#add"
	refDockerfileCache = "https://docs.docker.com/build/cache/optimize/#use-cache-mounts"
)

// dfStage and dfInstr are a Dockerfile object's body read back (see
// inventory.DockerfileKind).
type dfStage struct {
	from, base, name string
	path             string // the stage's field path ("stages[1]"), at its FROM line
	instrs           []dfInstr
}

type dfInstr struct {
	keyword, value string
	flags, args    []string
	heredocs       []string
	path           string // "stages[1].instructions[2]"
}

func dockerfileStages(o *inventory.Object) []dfStage {
	raw, _ := o.Body["stages"].([]any)
	out := make([]dfStage, 0, len(raw))
	for i, r := range raw {
		m, _ := r.(map[string]any)
		st := dfStage{from: str(m["from"]), base: str(m["base"]), name: str(m["name"]), path: fmt.Sprintf("stages[%d]", i)}
		ins, _ := m["instructions"].([]any)
		for j, x := range ins {
			im, _ := x.(map[string]any)
			st.instrs = append(st.instrs, dfInstr{
				keyword: str(im["keyword"]), value: str(im["value"]),
				flags: strs(im["flags"]), args: strs(im["args"]), heredocs: strs(im["heredocs"]),
				path: fmt.Sprintf("%s.instructions[%d]", st.path, j),
			})
		}
		out = append(out, st)
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, str(x))
	}
	return out
}

// command is the text of a RUN instruction: its shell command (or exec-form
// arguments) and its here-documents.
func (in dfInstr) command() string {
	return strings.Join(append(append([]string(nil), in.args...), in.heredocs...), "\n")
}

func (in dfInstr) hasFlag(prefix string) bool {
	for _, f := range in.flags {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

// stageIndex is the index of the earlier stage a base names (by name or index), or -1.
func stageIndex(stages []dfStage, i int, base string) int {
	for j := 0; j < i; j++ {
		if stages[j].name != "" && strings.EqualFold(stages[j].name, base) || fmt.Sprint(j) == base {
			return j
		}
	}
	return -1
}

// stageUser is the USER instruction in effect at the end of stage i (following
// stages built on earlier ones), or nil.
func stageUser(stages []dfStage, i int) *dfInstr {
	for seen := 0; i >= 0 && seen <= len(stages); seen++ {
		st := stages[i]
		for k := len(st.instrs) - 1; k >= 0; k-- {
			if st.instrs[k].keyword == "USER" {
				return &st.instrs[k]
			}
		}
		i = stageIndex(stages, i, st.base)
	}
	return nil
}

var dockerfileFrameworks = rules.Frameworks{NSA: []string{nsaImages}, Layer: layerContainer}

var (
	// pipeToShell: a download piped to a shell, or a shell running a download.
	pipeToShell = regexp.MustCompile(`\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:/\S*/)?(?:sh|bash|zsh|ash|dash|ksh)\b|\b(?:sh|bash|zsh|ash|dash|ksh)\s+(?:-\S+\s+)*(?:-c\s+)?["']?(?:\$\(|<\(|` + "`" + `)\s*(?:curl|wget)\b`)
	sudoWord    = regexp.MustCompile(`(?:^|[\s;&|(])sudo(?:\s|$)`)
	aptInstall  = regexp.MustCompile(`\bapt(?:-get)?\s+(?:-\S+\s+)*install\b`)
	aptClean    = regexp.MustCompile(`rm\s+-(?:rf|fr|r)\s+[^;&|]*?/var/lib/apt/lists`)
	apkAdd      = regexp.MustCompile(`\bapk\s+(?:-\S+\s+)*add\b`)
	apkClean    = regexp.MustCompile(`--no-cache\b|rm\s+-(?:rf|fr|r)\s+[^;&|]*?/var/cache/apk`)
	yumInstall  = regexp.MustCompile(`\b(yum|dnf|microdnf)\s+(?:-\S+\s+)*install\b`)
	yumClean    = regexp.MustCompile(`\b(?:yum|dnf|microdnf)\s+(?:-\S+\s+)*clean\s+all\b|rm\s+-(?:rf|fr|r)\s+[^;&|]*?/var/cache/(?:yum|dnf)`)
	pipInstall  = regexp.MustCompile(`\bpip[0-9.]*\s+(?:-\S+\s+)*install\b|\bpython[0-9.]*\s+-m\s+pip\s+install\b`)
	pipNoCache  = regexp.MustCompile(`--no-cache-dir\b|PIP_NO_CACHE_DIR=`)
)

// credentialSource says why a COPY or ADD source is credentials, or "".
func credentialSource(src string) string {
	src = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(src, "*"), "/"), "/.")
	name := strings.ToLower(path.Base(src))
	switch {
	case name == ".git":
		return "a git repository (its history and remotes' credentials)"
	case name == ".env" || strings.HasPrefix(name, ".env.") && !strings.HasSuffix(name, ".example") && !strings.HasSuffix(name, ".sample"):
		return "an environment file"
	case name == "id_rsa" || name == "id_dsa" || name == "id_ecdsa" || name == "id_ed25519" || name == ".ssh":
		return "SSH keys"
	case strings.HasSuffix(name, ".pem") || strings.HasSuffix(name, ".key") || strings.HasSuffix(name, ".p12") || strings.HasSuffix(name, ".pfx"):
		return "a private key or certificate bundle"
	case name == ".npmrc" || name == ".pypirc" || name == ".netrc" || name == ".git-credentials":
		return "a package registry or git credentials file"
	case name == ".aws" || strings.HasSuffix(strings.ToLower(src), ".aws/credentials"):
		return "AWS credentials"
	case strings.HasSuffix(strings.ToLower(src), ".docker/config.json") || name == ".docker":
		return "Docker registry credentials"
	case name == ".kube" || strings.HasSuffix(strings.ToLower(src), ".kube/config"):
		return "a kubeconfig"
	}
	return ""
}

func init() {
	register := func(r *rules.Rule) {
		r.Kinds = []string{inventory.DockerfileKind}
		r.Targets = rules.Scan
		r.Frameworks = dockerfileFrameworks
		r.Category = catDockerfile
		rules.Register(r)
	}
	register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-107", Title: "Dockerfile final stage runs as root", Severity: high,
			Rationale: "Without a USER instruction (or with USER root or 0) in the stage that builds the image, its processes run as root unless every pod that runs it sets runAsUser: " +
				"a compromised process then owns the container's files and is one kernel or runtime flaw away from the node.",
			Remediation: "Create an unprivileged user and end the final stage with USER <name or uid> (a numeric uid lets Kubernetes verify runAsNonRoot).",
			References:  []string{refDockerfileUser, refBuildBestPract},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			stages := dockerfileStages(o)
			if len(stages) == 0 {
				return
			}
			last := len(stages) - 1
			u := stageUser(stages, last)
			if u == nil {
				p.Report(stages[last].path, "", "the final stage (FROM %s) sets no USER, so the image runs as root", stages[last].from)
				return
			}
			user := ""
			if len(u.args) > 0 {
				user, _, _ = strings.Cut(u.args[0], ":")
			}
			if user == "root" || user == "0" {
				p.Report(u.path, "", "the final stage runs as root (USER %s)", u.args[0])
			}
		},
	})
	register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-108", Title: "Dockerfile base image not pinned by digest", Severity: medium,
			Rationale: "A FROM by tag (or without one, meaning latest) builds on whatever the tag points at when the build runs: builds are not reproducible and a moved or compromised tag " +
				"puts other code in the image. A digest names exactly one image.",
			Remediation: "Pin the base image by digest, FROM image:tag@sha256:<digest>, and let a tool such as Renovate or Dependabot update it.",
			References:  []string{refDockerfile + "#from", refBuildBestPract},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			stages := dockerfileStages(o)
			for i, st := range stages {
				base := st.base
				if strings.EqualFold(base, "scratch") || stageIndex(stages, i, base) >= 0 || base == "" {
					continue
				}
				r := parseImage(base)
				if r.Err != nil || r.Pinned() {
					continue
				}
				what := fmt.Sprintf("FROM %s", st.from)
				if st.from != base {
					what += fmt.Sprintf(" (%s with the ARG defaults)", base)
				}
				if r.Tag == "" {
					p.Report(st.path, "", "%s has no tag, so it means %s:latest, and is not pinned by digest", what, r.Name)
				} else {
					p.Report(st.path, "", "%s uses the mutable tag %s and is not pinned by digest", what, r.Tag)
				}
			}
		},
	})
	register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-109", Title: "Dockerfile ADD from a URL", Severity: medium,
			Rationale:   "ADD <url> downloads at build time whatever the server returns, with no checksum verified unless --checksum is given: a compromised or spoofed server puts its content in the image.",
			Remediation: "Download with curl or wget and verify a known checksum (sha256sum -c) in the same RUN, or use ADD --checksum=sha256:<digest>; use COPY for local files.",
			References:  []string{refDockerfileAdd, refBuildBestPract},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			for _, st := range dockerfileStages(o) {
				for _, in := range st.instrs {
					if in.keyword != "ADD" || len(in.args) < 2 || in.hasFlag("--checksum") {
						continue
					}
					for _, src := range in.args[:len(in.args)-1] {
						l := strings.ToLower(src)
						if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
							p.Report(in.path, "", "ADD downloads %s without verifying a checksum", src)
						}
					}
				}
			}
		},
	})
	register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-110", Title: "Dockerfile pipes a download to a shell", Severity: high,
			Rationale:   "curl ... | sh runs whatever the server sends, unverified, with the build's privileges: a compromised server, mirror or DNS answer runs its code in the image, and a truncated download runs half a script.",
			Remediation: "Download the script or binary to a file, verify its checksum or signature, then run it; prefer the distribution's packages.",
			References:  []string{refBuildBestPract},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			for _, st := range dockerfileStages(o) {
				for _, in := range st.instrs {
					if in.keyword != "RUN" {
						continue
					}
					if m := pipeToShell.FindString(in.command()); m != "" {
						p.Report(in.path, "", "RUN runs a download in a shell (%s)", strings.Join(strings.Fields(m), " "))
					}
				}
			}
		},
	})
	register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-111", Title: "Dockerfile secret in ENV or ARG", Severity: high,
			Rationale:   "ENV values are stored in the image's configuration and ARG values in its build history: anyone who can pull the image reads them with docker history or docker inspect.",
			Remediation: "Pass build secrets with RUN --mount=type=secret (docker build --secret) and runtime secrets from a Kubernetes Secret; rotate the exposed credential.",
			References:  []string{refBuildSecrets},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			for _, st := range dockerfileStages(o) {
				for _, in := range st.instrs {
					var pairs [][2]string
					switch in.keyword {
					case "ENV":
						for k := 0; k+1 < len(in.args); k += 2 {
							pairs = append(pairs, [2]string{in.args[k], in.args[k+1]})
						}
					case "ARG":
						for _, a := range in.args {
							if name, val, ok := strings.Cut(a, "="); ok {
								pairs = append(pairs, [2]string{name, unquote(val)})
							}
						}
					default:
						continue
					}
					for _, kv := range pairs {
						ms := secrets.Detect(kv[0], kv[1])
						if len(ms) == 0 {
							continue
						}
						digests := make([][32]byte, len(ms))
						for k, m := range ms {
							digests[k] = m.Digest
						}
						p.ReportSecret(digests, in.path, "", "%s %s holds a %s (%s)", in.keyword, kv[0], ms[0].Kind, ms[0].Masked)
					}
				}
			}
		},
	})
	register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-112", Title: "Dockerfile copies credentials into the image", Severity: medium,
			Rationale:   "A .git directory, an .env file, SSH or TLS private keys, or registry and cloud credentials copied into a layer stay in the image, even if a later instruction deletes them, for anyone who can pull it.",
			Remediation: "Do not copy them: list them in .dockerignore, copy only what the build needs, and pass build-time credentials with RUN --mount=type=secret or --mount=type=ssh.",
			References:  []string{refDockerignore, refBuildSecrets},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			for _, st := range dockerfileStages(o) {
				for _, in := range st.instrs {
					if in.keyword != "COPY" && in.keyword != "ADD" || len(in.args) < 2 || in.hasFlag("--from") || len(in.heredocs) > 0 {
						continue
					}
					for _, src := range in.args[:len(in.args)-1] {
						if why := credentialSource(src); why != "" {
							p.Report(in.path, "", "%s %s copies %s into the image", in.keyword, src, why)
						}
					}
				}
			}
		},
	})
	register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-113", Title: "Dockerfile uses sudo", Severity: low,
			Rationale:   "Build steps run as the USER in effect, and sudo in an image means a sudo binary and sudoers rules that let its processes become root at run time; its terminal handling also misbehaves without a TTY.",
			Remediation: "Run the privileged steps as USER root before switching to the unprivileged user, and do not install sudo; use gosu or su-exec when an entrypoint must drop privileges.",
			References:  []string{refBuildBestPract + "#user"},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			for _, st := range dockerfileStages(o) {
				for _, in := range st.instrs {
					if in.keyword == "RUN" && sudoWord.MatchString(in.command()) {
						p.Report(in.path, "", "RUN uses sudo")
					}
				}
			}
		},
	})
	register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-114", Title: "Dockerfile package install keeps its cache", Severity: low,
			Rationale:   "Package indexes and download caches left by apt-get, apk, yum, dnf or pip stay in the layer: a larger image to pull and scan, and stale package metadata in production.",
			Remediation: "Clean up in the same RUN (apt-get install ... && rm -rf /var/lib/apt/lists/*; apk add --no-cache; yum/dnf install ... && yum/dnf clean all; pip install --no-cache-dir), or use RUN --mount=type=cache.",
			References:  []string{refBuildBestPract + "#apt-get", refDockerfileCache},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			for _, st := range dockerfileStages(o) {
				for _, in := range st.instrs {
					if in.keyword != "RUN" || in.hasFlag("--mount=type=cache") {
						continue
					}
					cmd := in.command()
					var missing []string
					if aptInstall.MatchString(cmd) && !aptClean.MatchString(cmd) {
						missing = append(missing, "apt install without rm -rf /var/lib/apt/lists/*")
					}
					if apkAdd.MatchString(cmd) && !apkClean.MatchString(cmd) {
						missing = append(missing, "apk add without --no-cache")
					}
					if m := yumInstall.FindStringSubmatch(cmd); m != nil && !yumClean.MatchString(cmd) {
						missing = append(missing, m[1]+" install without "+m[1]+" clean all")
					}
					if pipInstall.MatchString(cmd) && !pipNoCache.MatchString(cmd) {
						missing = append(missing, "pip install without --no-cache-dir")
					}
					if len(missing) > 0 {
						p.Report(in.path, "", "RUN keeps package caches in the layer: %s", strings.Join(missing, "; "))
					}
				}
			}
		},
	})
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}
