#!/usr/bin/env bash
# k8s-bins.sh builds the kube-apiserver and etcd binaries that the integration tests
# run (internal/kubetest), and the kubelet that the differential test of the node
# configuration builder runs (internal/nodeconfig, kubetest.FindKubelet: only as far
# as logging its effective configuration), caches them outside the repository, and
# prints the cache directory on stdout. Everything else it says goes to stderr.
#
#   hack/k8s-bins.sh          build if needed, print the directory
#   bins=$(hack/k8s-bins.sh) && PALISADE_K8S_BINS=$bins go test ./...
#
# There is no container engine on our machines, so the binaries come from Go modules
# through the module proxy: test/k8sbins is a separate module (never part of the
# project's own build) that requires k8s.io/kubernetes at a pinned release and replaces
# each k8s.io staging module that release requires at v0.0.0 with the matching
# published v0.X.Y. etcd is etcd's own server (go.etcd.io/etcd/server/v3, the version
# k8s.io/kubernetes itself requires) behind a three-line main in test/k8sbins/etcd, so
# no system package is needed.
#
# Version: k8s.io/kubernetes v1.37.2, the newest release the proxy serves, whose
# staging modules are exactly the project's k8s.io v0.37.2, and which builds with
# go1.26.8 (its go.mod asks for go 1.26.0). etcd: v3.7.0, as pinned by that release.
# To move to another release: change the version in test/k8sbins/go.mod and every
# v0.X.Y in its replace block, run `go mod tidy` there, and change kubetest.Version.
#
# Cache: ${PALISADE_K8S_CACHE:-${XDG_CACHE_HOME:-~/.cache}/palisade/k8s}/<version>/,
# holding kube-apiserver, etcd, kubelet and BUILD-INFO. BUILD-INFO records a hash of
# test/k8sbins, so an edit there rebuilds; anything else is a cache hit and costs
# nothing. A build goes into a temporary directory beside the cache and is renamed
# into place only when all three binaries are done, so an interrupted build leaves no
# half-filled cache; a lock keeps two concurrent runs from building twice.
#
# Cost, measured on our 2-core, 24 GiB machine (go1.26.8, -p 2):
#   cold (empty GOCACHE, modules already downloaded): 21 CPU-minutes (953 s user,
#     308 s system); 29.5 minutes of wall time with other builds loading the machine
#     (load average 6-13), so an estimated 11-15 minutes on an idle one. Largest
#     single process 2.3 GB resident (GNU time's maximum RSS). 2.8 GB of GOCACHE.
#   modules for an empty GOMODCACHE: 42 s, 88 MB of downloads (560 MB unpacked).
#   binaries gone but GOCACHE warm (relink only): 24-30 s (kubelet included: 9 s of it).
#   warm (cache hit): 0.6 s, no go command run.
#   a whole cold `bash .ci/run` (fresh clone, empty GOCACHE and binary cache, modules
#     already downloaded): 56 minutes of wall time on the same loaded machine, 36 of
#     them this build; 44 CPU-minutes in all, so roughly 25 minutes on an idle one.
#   the kubelet (added in issue 21 for the differential test of internal/nodeconfig;
#     the figures above were measured without it): with GOCACHE warm for
#     kube-apiserver, whose dependencies it mostly shares, 306 more packages; 149 s
#     of wall time with other builds loading the machine (load average 6-7) and 2.3
#     CPU-minutes for the whole run (116 s user, 22 s system, the 13 s relink of the
#     other two included), the same 2.3 GB peak (kube-apiserver's link); so about
#     1-1.5 minutes on an idle 2-core machine, and a cold build (and a cold
#     .ci/run) costs those 2.3 CPU-minutes more. 18 more modules, 3 MB of
#     downloads. GOCACHE grows by at most 1 GB (all it gained during that build,
#     other agents' builds included).
# PALISADE_K8S_BUILD_JOBS (default 2) is go build -p: fewer jobs, less memory.
#
# Progress: a build says every PALISADE_K8S_PROGRESS_INTERVAL seconds (default 30) how
# long it has been running, how many packages the compiler has done and which one it
# did last (from go build -v), so that a cold build is never 15 silent minutes. On
# failure the compiler's errors are printed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
mod="$root/test/k8sbins"
go="${GO:-go}"

say() { echo "k8s-bins: $*" >&2; }
die() {
	say "error: $*"
	exit 1
}

command -v "$go" >/dev/null || die "no Go toolchain ($go) on PATH"
[ -f "$mod/go.mod" ] || die "missing $mod/go.mod"

version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$mod/go.mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$mod/go.mod")"
[ -n "$version" ] || die "no k8s.io/kubernetes requirement in $mod/go.mod"
[ -n "$etcd_version" ] || die "no go.etcd.io/etcd/server/v3 requirement in $mod/go.mod"

cache_root="${PALISADE_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/palisade/k8s}"
dest="$cache_root/$version"

# The hash covers every file that decides what gets built.
hash="$(cd "$mod" && cat go.mod go.sum etcd/main.go tools.go | sha256sum | cut -d' ' -f1)"
info="kubernetes $version
etcd $etcd_version
source-sha256 $hash"

cached() {
	[ -x "$dest/kube-apiserver" ] && [ -x "$dest/etcd" ] && [ -x "$dest/kubelet" ] &&
		[ "$(cat "$dest/BUILD-INFO" 2>/dev/null)" = "$info" ]
}

if cached; then
	say "using cached kube-apiserver and kubelet $version and etcd $etcd_version in $dest"
	echo "$dest"
	exit 0
fi

mkdir -p "$cache_root" || die "cannot create $cache_root"
exec 9>"$cache_root/.lock"
if command -v flock >/dev/null; then
	say "taking the build lock $cache_root/.lock"
	flock 9
	if cached; then # another run built it while we waited
		say "using cached kube-apiserver and kubelet $version and etcd $etcd_version in $dest"
		echo "$dest"
		exit 0
	fi
fi

tmp="$(mktemp -d "$cache_root/.build-$version.XXXXXX")"
ticker=""
trap '[ -z "$ticker" ] || kill "$ticker" 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

jobs="${PALISADE_K8S_BUILD_JOBS:-2}"
interval="${PALISADE_K8S_PROGRESS_INTERVAL:-30}"
pkg=k8s.io/component-base/version
minor="${version#v*.}"
minor="${minor%%.*}"
major="${version#v}"
major="${major%%.*}"
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"

# GOFLAGS=-mod=readonly: the committed go.sum pins every module; a build that would
# need to change go.mod or go.sum fails instead of editing them. -buildvcs=false: the
# binaries need no stamp of this repository's commit, and a checkout git refuses to
# read (another owner, no git) must not fail the build. GOWORK=off keeps any go.work
# around the checkout out of it.
#
# go build -v names each package as it is compiled; those lines go to a log that the
# progress ticker reads, and everything else in it (the compiler's errors) is printed
# if the build fails.
pkgline='^[A-Za-z0-9._~+/-]+$'
progress() { # progress WHAT LOG START: a line every $interval seconds, until killed
	local n last what
	while sleep "$interval"; do
		kill -0 "$$" 2>/dev/null || exit 0 # the build was killed
		n="$(grep -cE "$pkgline" "$2" 2>/dev/null || true)"
		last="$(tail -n 1 "$2" 2>/dev/null || true)"
		case "$last" in
		"go: downloading"*) what="downloading modules" ;;
		*) what="${n:-0} packages compiled${last:+, last $last}" ;;
		esac
		say "building $1: $(((SECONDS - $3) / 60))m$(((SECONDS - $3) % 60))s, $what"
	done
}
build() { # build OUTPUT PACKAGE
	say "building $2 -> $tmp/$1"
	local log="$tmp/$1.build.log" status=0 began=$SECONDS
	progress "$1" "$log" "$SECONDS" &
	ticker=$!
	(cd "$mod" && GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
		"$go" build -v -trimpath -p "$jobs" -ldflags "$ldflags" -o "$tmp/$1" "$2") 2>"$log" || status=$?
	kill "$ticker" 2>/dev/null || true
	wait "$ticker" 2>/dev/null || true
	ticker=""
	if [ "$status" -ne 0 ]; then
		grep -vE "$pkgline" "$log" >&2 || true
		die "building $2 failed (see above); the integration tests cannot run without it"
	fi
	say "built $1 in $((SECONDS - began))s ($(grep -cE "$pkgline" "$log" || true) packages compiled)"
	rm -f "$log"
}

say "building kube-apiserver and kubelet $version and etcd $etcd_version from Go modules (test/k8sbins)"
say "with an empty Go build cache this takes 12-17 minutes on 2 cores; later runs reuse $dest"
start=$SECONDS
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build etcd ./etcd
build kubelet k8s.io/kubernetes/cmd/kubelet
"$tmp/kube-apiserver" --version >&2 || die "the built kube-apiserver does not run"
"$tmp/etcd" --version >&2 || die "the built etcd does not run"
"$tmp/kubelet" --version >&2 || die "the built kubelet does not run"
echo "$info" >"$tmp/BUILD-INFO"

# Swap the finished build into place: a stale cache is moved aside first, so that
# $dest is never a half-written directory.
if [ -e "$dest" ]; then
	old="$(mktemp -d "$cache_root/.old-$version.XXXXXX")"
	mv "$dest" "$old/"
	rm -rf "$old"
fi
mv "$tmp" "$dest"
trap - EXIT
say "built in $((SECONDS - start))s into $dest"
echo "$dest"
