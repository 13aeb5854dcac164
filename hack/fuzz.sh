#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for a short time each: all of them, found
# by reading the test files, so a new target is fuzzed without editing this script.
#
#   hack/fuzz.sh               each target for $FUZZTIME (default 10s)
#   FUZZTIME=2m hack/fuzz.sh   longer, e.g. before a release
#   FUZZMINIMIZETIME=60s       minimise new inputs longer (default 5s: a loaded CI
#                              machine spends most of a short run minimising)
#
# A crasher makes `go test -fuzz` write the failing input to testdata/fuzz/<Target>/ in
# the target's package and fail; this script then fails too and names the file. Commit
# that file with the fix: `go test` replays every file there as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
go="${GO:-go}"
fuzztime="${FUZZTIME:-10s}"

say() { echo "fuzz: $*" >&2; }

# Every "func FuzzXxx(" in a _test.go file, as "package-dir target".
mapfile -t targets < <(git ls-files '*_test.go' 2>/dev/null | xargs grep -H -o '^func Fuzz[A-Za-z0-9_]*' |
	sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)$#\1 \2#' | sort -u)
[ "${#targets[@]}" -gt 0 ] || { say "no fuzz targets found"; exit 1; }

say "${#targets[@]} targets, $fuzztime each"
failed=()
start=$SECONDS
i=0
for t in "${targets[@]}"; do
	i=$((i + 1))
	dir="${t% *}"
	name="${t#* }"
	say "[$i/${#targets[@]}] $name in ./$dir ($((SECONDS - start))s so far)"
	ok=
	for attempt in 1 2; do
		if "$go" test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "${FUZZMINIMIZETIME:-5s}" "./$dir" >/tmp/palisade-fuzz.$$ 2>&1; then
			ok=1
			break
		fi
		# go test -fuzz sometimes fails with only "context deadline exceeded" when
		# -fuzztime ends while a worker is between inputs (a loaded machine); that is
		# no finding: no input was written. Try once more; a real crasher or hang
		# always leaves its input in testdata/fuzz.
		if [ -n "$(git status --porcelain -- "$dir/testdata/fuzz/$name" 2>/dev/null)" ] ||
			! grep -q 'context deadline exceeded' /tmp/palisade-fuzz.$$; then
			break
		fi
		say "$name: the fuzzing engine's deadline ended a run without a finding (attempt $attempt)"
	done
	if [ -z "$ok" ]; then
		if [ -z "$(git status --porcelain -- "$dir/testdata/fuzz/$name" 2>/dev/null)" ] &&
			grep -q 'context deadline exceeded' /tmp/palisade-fuzz.$$; then
			say "$name: no finding, but the run ended on the engine's deadline twice; not a failure"
		else
			cat /tmp/palisade-fuzz.$$ >&2
			failed+=("$name (./$dir)")
		fi
	fi
done
rm -f /tmp/palisade-fuzz.$$
if [ "${#failed[@]}" -gt 0 ]; then
	say "FAILED: ${failed[*]}"
	say "the failing inputs are in testdata/fuzz/<target>/ of each package: fix, and commit them as regression cases"
	exit 1
fi
say "all ${#targets[@]} targets passed in $((SECONDS - start))s"
