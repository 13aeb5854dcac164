#!/usr/bin/env bash
# cosign.sh builds the cosign CLI (github.com/sigstore/cosign, Sigstore's reference
# signer and verifier) from the module proxy, caches it outside the repository, and
# prints the binary's path on stdout. Everything else it says goes to stderr.
#
#   hack/cosign.sh        build if needed, print the path
#   PALISADE_COSIGN=$(hack/cosign.sh) go test -run Interop ./internal/signature/
#
# It is the reference of the signature interoperability and differential tests
# (internal/signature/interop_test.go: what cosign signs and attests Palisade
# verifies; every tampered signature cosign's verifier rejects Palisade rejects, every
# one it accepts Palisade accepts) and the timing peer of tools/sigbench. make test
# (and so .ci/run) runs it and passes the path as PALISADE_COSIGN; without that
# variable the tests skip, unless PALISADE_REQUIRE_TOOLS=1 (make test sets it when
# this script succeeds) makes them fail. cosign is a separate tool built from its own
# module: it never enters Palisade's go.mod.
#
# Cache: ${PALISADE_COSIGN_CACHE:-${XDG_CACHE_HOME:-~/.cache}/palisade}/
# cosign/<version>/cosign. The build goes into a temporary directory beside it and is
# renamed into place only when it is complete; a lock keeps two concurrent runs from
# building twice. Cold: one go install of a large module graph (about 3.5 minutes on
# our 2-core machine, plus the module downloads the first time); warm: well under a
# second, no network.
#
# Options (environment):
#   PALISADE_COSIGN_VERSION   the github.com/sigstore/cosign/v3 version (v3.1.3)
#   GO                        the go command (go)
set -euo pipefail

say() { echo "cosign: $*" >&2; }
die() {
	say "error: $*"
	exit 1
}

version="${PALISADE_COSIGN_VERSION:-v3.1.3}"
go="${GO:-go}"
major="${version%%.*}" # v3: the module path names the major version
case "$major" in
v0 | v1) module="github.com/sigstore/cosign" ;;
*) module="github.com/sigstore/cosign/$major" ;;
esac
cache_root="${PALISADE_COSIGN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/palisade}"
dest="$cache_root/cosign/$version"
bin="$dest/cosign"

# cached: the binary is there, runs, and is the version asked for.
cached() {
	[ -x "$bin" ] || return 1
	local out
	out="$("$bin" version --json 2>/dev/null)" || return 1
	case "$out" in
	*"\"gitVersion\": \"$version\""* | *"\"gitVersion\":\"$version\""*) return 0 ;;
	esac
	return 1
}

if cached; then
	say "using the cached cosign $version in $dest"
	echo "$bin"
	exit 0
fi

command -v "$go" >/dev/null || die "no go command ($go)"
mkdir -p "$cache_root/cosign" || die "cannot create $cache_root/cosign"
exec 9>"$cache_root/cosign/.lock"
if command -v flock >/dev/null; then
	say "taking the build lock $cache_root/cosign/.lock"
	flock 9
	if cached; then # another run built it while we waited
		say "using the cached cosign $version in $dest"
		echo "$bin"
		exit 0
	fi
fi

tmp="$(mktemp -d "$cache_root/cosign/.build-$version.XXXXXX")"
ticker=""
cleanup() {
	[ -z "$ticker" ] || kill "$ticker" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

say "building $module/cmd/cosign@$version from the module proxy into $dest (once: about 3.5 minutes cold)"
start=$SECONDS
(while sleep 30; do say "go install: $((SECONDS - start))s so far"; done) &
ticker=$!
# Outside any module (its own go.mod decides), with the go command's default flags:
# GOFLAGS of the caller (-mod=vendor, -buildvcs) do not apply to another module.
# cosign reports the module version from the build information (cosign version).
(cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS= GOWORK=off CGO_ENABLED=0 \
	"$go" install "$module/cmd/cosign@$version") >&2 ||
	die "go install $module/cmd/cosign@$version failed (see above)"
kill "$ticker" 2>/dev/null || true
wait "$ticker" 2>/dev/null || true
ticker=""
"$tmp/bin/cosign" version >/dev/null 2>&1 || die "the new cosign does not run"

rm -rf "$dest"
mv "$tmp/bin" "$dest"
cached || die "the new cosign in $dest does not report version $version"
say "built cosign $version in $((SECONDS - start))s into $dest"
echo "$bin"
