#!/usr/bin/env bash
# test-tools.sh installs, from Debian's package archive, the reference tools the
# differential tests compare Palisade with when they are missing: rpm and rpmbuild
# (the rpm database readers against `rpm -qa`) and db5.3_load (a Berkeley DB rpmdb).
# It needs root and apt-get; without them it says what is missing and the tests that
# need those tools skip, unless PALISADE_REQUIRE_TOOLS=1 (make test sets it when this
# script succeeds) makes them fail. Idempotent: a second run installs nothing.
set -euo pipefail

say() { echo "test-tools: $*" >&2; }

declare -A pkg=([rpm]=rpm [rpmbuild]=rpm [db5.3_load]=db5.3-util)
missing=()
for tool in "${!pkg[@]}"; do
	command -v "$tool" >/dev/null || missing+=("${pkg[$tool]}")
done
if [ "${#missing[@]}" -eq 0 ]; then
	say "rpm, rpmbuild and db5.3_load present"
	exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	say "missing ${missing[*]} and cannot install them (needs root and apt-get): the tests that compare with them skip"
	exit 1
fi
say "installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
	say "apt-get install failed: updating the package lists and retrying"
	apt-get update -q >&2
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
say "installed ${missing[*]}"
