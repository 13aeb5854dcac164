#!/usr/bin/env bash
# govulncheck.sh builds govulncheck (golang.org/x/vuln, the Go team's vulnerability
# checker) from the module proxy, caches it outside the repository, and prints the
# binary's path on stdout. Everything else it says goes to stderr.
#
#   hack/govulncheck.sh        build if needed, print the path
#   PALISADE_GOVULNCHECK=$(hack/govulncheck.sh) go test -run Differential ./internal/vuln/
#
# It is the reference of the Go differential test (internal/vuln/differential_test.go:
# every advisory govulncheck reports on the same binaries against the same database,
# offline, Palisade reports) and the timing peer of tools/vulnbench. make test (and so
# .ci/run) runs it and passes the path as PALISADE_GOVULNCHECK; without that variable
# the test skips.
#
# Cache: ${PALISADE_GOVULNCHECK_CACHE:-${XDG_CACHE_HOME:-~/.cache}/palisade}/
# govulncheck/<version>/govulncheck. The build goes into a temporary directory beside
# it and is renamed into place only when it is complete; a lock keeps two concurrent
# runs from building twice. Cold: one go install (about a minute on our 2-core machine
# with the modules already in the module cache); warm: well under a second, no network.
#
# Options (environment):
#   PALISADE_GOVULNCHECK_VERSION   the golang.org/x/vuln version (v1.10.0)
#   GO                             the go command (go)
set -euo pipefail

say() { echo "govulncheck: $*" >&2; }
die() {
	say "error: $*"
	exit 1
}

version="${PALISADE_GOVULNCHECK_VERSION:-v1.10.0}"
go="${GO:-go}"
cache_root="${PALISADE_GOVULNCHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/palisade}"
dest="$cache_root/govulncheck/$version"
bin="$dest/govulncheck"

cached() { [ -x "$bin" ] && "$bin" -version >/dev/null 2>&1; }

if cached; then
	say "using the cached govulncheck $version in $dest"
	echo "$bin"
	exit 0
fi

command -v "$go" >/dev/null || die "no go command ($go)"
mkdir -p "$cache_root/govulncheck" || die "cannot create $cache_root/govulncheck"
exec 9>"$cache_root/govulncheck/.lock"
if command -v flock >/dev/null; then
	say "taking the build lock $cache_root/govulncheck/.lock"
	flock 9
	if cached; then # another run built it while we waited
		say "using the cached govulncheck $version in $dest"
		echo "$bin"
		exit 0
	fi
fi

tmp="$(mktemp -d "$cache_root/govulncheck/.build-$version.XXXXXX")"
ticker=""
cleanup() {
	[ -z "$ticker" ] || kill "$ticker" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

say "building golang.org/x/vuln/cmd/govulncheck@$version from the module proxy into $dest (once)"
start=$SECONDS
(while sleep 30; do say "go install: $((SECONDS - start))s so far"; done) &
ticker=$!
# Outside any module (its own go.mod decides), with the go command's default flags:
# GOFLAGS of the caller (-mod=vendor, -buildvcs) do not apply to another module.
(cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS= GOWORK=off CGO_ENABLED=0 \
	"$go" install "golang.org/x/vuln/cmd/govulncheck@$version") >&2 ||
	die "go install golang.org/x/vuln/cmd/govulncheck@$version failed (see above)"
kill "$ticker" 2>/dev/null || true
wait "$ticker" 2>/dev/null || true
ticker=""
"$tmp/bin/govulncheck" -version >&2 || die "the new govulncheck does not run"

rm -rf "$dest"
mv "$tmp/bin" "$dest"
say "built govulncheck $version in $((SECONDS - start))s into $dest"
echo "$bin"
