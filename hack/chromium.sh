#!/usr/bin/env bash
# chromium.sh finds or installs the Chromium that the browser tests drive (the HTML
# report opened in a real browser: internal/browsertest, internal/cli's
# html_browser_test.go) and prints its path on stdout. Everything else it says goes to
# stderr.
#
#   hack/chromium.sh                      find or install, print the path
#   PALISADE_CHROMIUM=$(hack/chromium.sh) go test ./internal/cli -run Browser
#
# It uses Debian's chromium package (/usr/bin/chromium), installed with apt-get as root
# when it is missing; no test tool downloads a browser of its own. PALISADE_CHROMIUM,
# when already set to an executable, is used as is. Without root or apt-get it says what
# is missing and exits 1: make test then runs the browser tests as skipped, unless the
# browser was required (PALISADE_REQUIRE_BROWSER=1 makes them fail).
# Idempotent: a second run installs nothing.
#
# Cost, measured on our 2-core machine (2026-12-07, Debian 12, package lists already
# current): 24 s cold for chromium 148 and its 25 packages of libraries; warm (installed):
# well under a second, no network.
set -euo pipefail

say() { echo "chromium: $*" >&2; }
die() {
	say "error: $*"
	exit 1
}

if [ -n "${PALISADE_CHROMIUM:-}" ] && [ -x "$PALISADE_CHROMIUM" ]; then
	say "using PALISADE_CHROMIUM=$PALISADE_CHROMIUM"
	echo "$PALISADE_CHROMIUM"
	exit 0
fi

bin=/usr/bin/chromium
if [ -x "$bin" ]; then
	say "using $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
	echo "$bin"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "$bin is missing and installing Debian's chromium needs root; run this script as root once, or set PALISADE_CHROMIUM to a Chromium"
command -v apt-get >/dev/null || die "$bin is missing and apt-get is not available; set PALISADE_CHROMIUM to a Chromium"

export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
# install runs apt-get with its progress lines on stderr (stdout is the path only).
install() {
	say "installing Debian's chromium with apt-get (about 100 MB from the package archive)"
	apt-get install -y -q --no-install-recommends chromium >&2
}
if ! install; then
	say "apt-get install failed: updating the package lists and retrying"
	apt-get update -q >&2
	install || die "apt-get install chromium failed"
fi
[ -x "$bin" ] || die "apt-get installed chromium but $bin is missing"
say "installed $("$bin" --version 2>/dev/null || echo chromium) in $(($(date +%s) - start)) s"
echo "$bin"
