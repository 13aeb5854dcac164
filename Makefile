GO ?= go
STATICCHECK_VERSION ?= v0.8.2
BIN := bin/palisade
# VERSION is stamped into the binary (palisade version, every report's tool.version);
# go install and go run fall back to the module version or commit from the build info.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: build test k8s-bins debian-rootfs govulncheck cosign chromium race lint bench bench-webhook docs fuzz image plugin-archives

# build makes a static binary (no cgo: it runs on any Linux, from scratch or distroless
# images) without local paths (-trimpath) or DWARF tables (-s -w: panics and profiles
# still name functions and lines), stamped with VERSION.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X github.com/palisade-k8s/palisade/internal/cli.Version=$(VERSION)" -o $(BIN) ./cmd/palisade

# test builds the kube-apiserver, etcd and kubelet the integration tests run (once: later runs
# reuse ~/.cache/palisade/k8s) and the Debian root filesystem the image tests pack into
# images (once: ~/.cache/palisade/debian-rootfs-*; needs root and the Debian package
# archive), then runs every test against them. PALISADE_REQUIRE_K8S and
# PALISADE_REQUIRE_IMAGES turn the integration and image tests' skips for missing
# inputs into failures; hack/test-tools.sh installs the reference tools of the
# differential tests (rpm, db5.3_load) and PALISADE_REQUIRE_TOOLS then requires them;
# hack/govulncheck.sh builds govulncheck from the module proxy (once: later runs reuse
# ~/.cache/palisade/govulncheck), the reference of the Go vulnerability differential test;
# hack/cosign.sh builds the cosign CLI from the module proxy (once: later runs reuse
# ~/.cache/palisade/cosign), the reference of the signature interoperability and
# differential tests (PALISADE_COSIGN; PALISADE_REQUIRE_TOOLS requires it too);
# hack/chromium.sh installs Debian's chromium (once, as root: later runs find
# /usr/bin/chromium), the browser the HTML report's tests drive (PALISADE_CHROMIUM;
# PALISADE_REQUIRE_BROWSER turns their skip into a failure; screenshots land in
# artifacts/browser, or $PALISADE_ARTIFACTS).
test:
	@bins=$$(GO=$(GO) ./hack/k8s-bins.sh) && rootfs=$$(./hack/debian-rootfs.sh) && \
		govulncheck=$$(GO=$(GO) ./hack/govulncheck.sh) && \
		cosign=$$(GO=$(GO) ./hack/cosign.sh) && \
		chromium=$$(./hack/chromium.sh) && \
		tools=1 && { ./hack/test-tools.sh || tools=0; } && \
		echo "PALISADE_K8S_BINS=$$bins PALISADE_REQUIRE_K8S=1 PALISADE_DEBIAN_ROOTFS=$$rootfs PALISADE_REQUIRE_IMAGES=1 PALISADE_GOVULNCHECK=$$govulncheck PALISADE_COSIGN=$$cosign PALISADE_CHROMIUM=$$chromium PALISADE_REQUIRE_BROWSER=1 PALISADE_REQUIRE_TOOLS=$$tools $(GO) test ./..." && \
		PALISADE_K8S_BINS="$$bins" PALISADE_REQUIRE_K8S=1 PALISADE_DEBIAN_ROOTFS="$$rootfs" PALISADE_REQUIRE_IMAGES=1 PALISADE_GOVULNCHECK="$$govulncheck" PALISADE_COSIGN="$$cosign" PALISADE_CHROMIUM="$$chromium" PALISADE_REQUIRE_BROWSER=1 PALISADE_REQUIRE_TOOLS=$$tools $(GO) test ./...

# k8s-bins only builds (or finds) those binaries and prints their directory.
k8s-bins:
	@GO=$(GO) ./hack/k8s-bins.sh

# debian-rootfs only builds (or finds) the Debian root filesystem and prints its path.
debian-rootfs:
	@./hack/debian-rootfs.sh

# govulncheck only builds (or finds) govulncheck and prints its path.
govulncheck:
	@GO=$(GO) ./hack/govulncheck.sh

# cosign only builds (or finds) the cosign CLI and prints its path.
cosign:
	@GO=$(GO) ./hack/cosign.sh

# chromium only installs (or finds) Debian's chromium and prints its path.
chromium:
	@./hack/chromium.sh

# race runs every package's tests under the race detector, so a new package that
# evaluates in parallel is covered without editing this file. -short leaves out the
# corpus and differential runs, the binary builds and the real test images (make test
# runs them).
race:
	$(GO) test -race -short ./...

# fuzz runs every fuzz target of the module (found by hack/fuzz.sh in the test files)
# for FUZZTIME each; crashers land in testdata/fuzz as regression tests. CI runs it too.
FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) ./hack/fuzz.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# bench runs every analyzer's Go benchmark, then whole scans of the corpus and of a
# 10x concatenation against a plain yaml.v3 decode, and records both in
# docs/BENCHMARKS.md. It needs ../shared/corpus. Then tools/secretsbench compares secret
# detection with gitleaks (installed once from the module proxy into
# ~/.cache/palisade/gitleaks): the labelled set, the corpus, a 10,000-commit history.
# Last, tools/imagebench compares `palisade image` with Syft (installed once into
# ~/.cache/palisade/syft) on the test images of internal/imagetest and a large image
# (the Debian root filesystem of hack/debian-rootfs.sh: root, as for make test).
# Then tools/vulnbench imports the Go vulnerability database (golang.org/x/vulndb from
# the module proxy), matches 1,000 packages against databases of about 5,000 and
# 200,000 records, and compares with govulncheck (hack/govulncheck.sh builds it once
# into ~/.cache/palisade/govulncheck) on the same Go binaries.
# Last, tools/sigbench compares `palisade image verify` with `cosign verify` (built once
# by hack/cosign.sh into ~/.cache/palisade/cosign) on images signed keyed and keyless in
# a registry on loopback: 50, 200 and 800 images, several signatures per image, and
# the signature cache's hit path.
# Then tools/policybench times the corpus scan (1/4, 1x and 4x the corpus) without and
# with 20 custom rules (customRules) and 20 ValidatingAdmissionPolicies (--policy)
# generated by tools/internal/policygen (goal: at most 1.5x the time without them).
# Last, tools/auditbench replays the real API server's audit log of
# internal/audit/testdata/real into 100 MiB and 1 GiB logs (generated once into
# $TMPDIR/palisade-auditbench) and times `palisade audit` on one core (GOMAXPROCS=1)
# against an encoding/json decode, peak memory at both sizes, and the /audit endpoint.
# Last, tools/pathbench times the attack graph and every path from the internet to
# cluster-admin on clusters generated by internal/attackpath/pathgen (up to 10,000 pods,
# 2,000 policies, 10,000 roles, 20,000 bindings; written once into
# $TMPDIR/palisade-pathbench) against the analyzers it is made of, with peak memory.
# Last, tools/nodebench times judging 1, 100 and 1,000 generated node facts files
# (kept in $TMPDIR/palisade-nodebench) through the scan against decoding them alone.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./internal/... | tee .bench.out
	$(GO) run ./tools/bench -palisade $(BIN) -gobench .bench.out
	@rm -f .bench.out
	$(GO) run ./tools/secretsbench -palisade $(BIN) -doc docs/BENCHMARKS.md
	$(GO) run ./tools/imagebench -palisade $(BIN) -doc docs/BENCHMARKS.md
	$(GO) run ./tools/vulnbench -palisade $(BIN) -doc docs/BENCHMARKS.md
	$(GO) run ./tools/sigbench -palisade $(BIN) -doc docs/BENCHMARKS.md
	$(GO) run ./tools/policybench -palisade $(BIN) -doc docs/BENCHMARKS.md
	$(GO) run ./tools/auditbench -palisade $(BIN) -doc docs/BENCHMARKS.md
	$(GO) run ./tools/pathbench -doc docs/BENCHMARKS.md
	$(GO) run ./tools/nodebench -doc docs/BENCHMARKS.md

# bench-webhook load-tests `palisade webhook serve` on loopback (one server process,
# 127.0.0.1 only): fixed request rates, then resident memory over a million reviews;
# then the signature path (-signed: the review's images verified, from the cache).
# Its output is the "Admission webhook" section of docs/BENCHMARKS.md. Last, -custom
# holds 200/s and 1,000/s against a server without and with the 20 custom rules and 20
# ValidatingAdmissionPolicies of tools/policybench, into its section of the document.
bench-webhook: build
	$(GO) run ./tools/webhookload -palisade $(BIN) -rates 500,1000,2000 -duration 20s -reviews 1000000
	$(GO) run ./tools/webhookload -palisade $(BIN) -signed -rates 1000 -duration 20s -reviews 0
	$(GO) run ./tools/webhookload -palisade $(BIN) -custom -rates 200,1000 -duration 20s -reviews 0 -doc docs/BENCHMARKS.md

FRAMEWORKS := cis-1.12 nsa-cisa pss-baseline pss-restricted mitre-attack

docs:
	$(GO) build -o bin/palisade-docs ./cmd/palisade
	bin/palisade-docs rules --format markdown > docs/rules.md
	mkdir -p docs/frameworks
	for f in $(FRAMEWORKS); do bin/palisade-docs rules --framework $$f --format markdown > docs/frameworks/$$f.md || exit 1; done
	@rm -f bin/palisade-docs

# image builds the container image (linux/amd64 and linux/arm64, static binaries on an
# empty base, user 65532) into the OCI image layout IMAGE_DIR without a daemon or the
# network; the same commit gives the same digest. Push it with
# `crane push $(IMAGE_DIR) REF` or `skopeo copy --all oci:$(IMAGE_DIR) docker://REF`.
IMAGE_DIR ?= bin/image
IMAGE_PLATFORMS ?= linux/amd64,linux/arm64
image:
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 0)} \
		$(GO) run ./tools/ociimage -o $(IMAGE_DIR) -platforms $(IMAGE_PLATFORMS) -version $(VERSION) \
		-revision $$(git rev-parse HEAD 2>/dev/null)

# plugin-archives builds the release archives .krew.yaml points at, one per platform:
# kubectl-palisade (the static binary under the name kubectl runs plugins by) and
# LICENSE, in PLUGIN_DIR/kubectl-palisade_VERSION_OS_ARCH.tar.gz with fixed owners and
# times (SOURCE_DATE_EPOCH, else the commit's), so the same commit gives the same
# SHA-256. Needs GNU tar.
PLUGIN_DIR ?= bin/plugin
PLUGIN_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64
plugin-archives:
	@set -e; epoch=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 0)}; \
	for p in $(PLUGIN_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; if [ $$os = windows ]; then ext=.exe; fi; \
		dir=$(PLUGIN_DIR)/$${os}_$${arch}; rm -rf $$dir; mkdir -p $$dir; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -buildvcs=false \
			-ldflags "-s -w -X github.com/palisade-k8s/palisade/internal/cli.Version=$(VERSION)" \
			-o $$dir/kubectl-palisade$$ext ./cmd/palisade; \
		cp LICENSE $$dir/; \
		tar --mtime=@$$epoch --owner=0 --group=0 --numeric-owner --mode=go-w -C $$dir -cf - kubectl-palisade$$ext LICENSE \
			| gzip -n -9 > $(PLUGIN_DIR)/kubectl-palisade_$(VERSION)_$${os}_$${arch}.tar.gz; \
		rm -rf $$dir; \
	done; \
	cd $(PLUGIN_DIR) && sha256sum kubectl-palisade_$(VERSION)_*.tar.gz
