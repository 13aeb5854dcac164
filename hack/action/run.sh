#!/usr/bin/env bash
# Entry point of the GitHub Action (action.yml): runs `palisade scan` with a SARIF
# report and exposes the report's path and the exit code as step outputs. The
# action's inputs arrive as environment variables (never interpolated into the
# script, so that an input cannot inject shell):
#   PALISADE_PATHS   files and directories, separated by white space (required)
#   PALISADE_ARGS    more scan arguments, separated by white space
#   PALISADE_SARIF   report path (default palisade.sarif)
#   PALISADE_FAIL    "false": exit 0 on findings (exit code 1); other failures still fail
#   PALISADE_BIN     palisade binary to run; unset: built from PALISADE_SOURCE
#   PALISADE_SOURCE  the action's checkout (default: this repository)
#   GITHUB_OUTPUT    file the outputs sarif-file and exit-code are appended to
set -euo pipefail

if [[ -z ${PALISADE_PATHS//[[:space:]]/} ]]; then
	echo "palisade: the action's input paths is empty: name the files and directories to scan" >&2
	exit 2
fi

src=${PALISADE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PALISADE_BIN:-}
if [[ -z $bin ]]; then
	bin="${RUNNER_TEMP:-$(mktemp -d)}/palisade"
	version=${GITHUB_ACTION_REF:-$(git -C "$src" describe --tags --always 2>/dev/null || echo dev)}
	echo "palisade: building $version from $src" >&2
	(cd "$src" && CGO_ENABLED=0 go build -trimpath -buildvcs=false \
		-ldflags "-X github.com/palisade-k8s/palisade/internal/cli.Version=$version" -o "$bin" ./cmd/palisade)
fi

sarif=${PALISADE_SARIF:-palisade.sarif}
set -f # no globbing of the paths or arguments; only word splitting
# shellcheck disable=SC2206
paths=(${PALISADE_PATHS})
# shellcheck disable=SC2206
args=(${PALISADE_ARGS:-})
set +f
mkdir -p "$(dirname "$sarif")"

code=0
"$bin" scan "${args[@]}" -o sarif --output-file "$sarif" -- "${paths[@]}" || code=$?

if [[ -n ${GITHUB_OUTPUT:-} ]]; then
	{
		echo "sarif-file=$sarif"
		echo "exit-code=$code"
	} >>"$GITHUB_OUTPUT"
fi
case $code in
0) ;;
1)
	if [[ ${PALISADE_FAIL:-true} == false ]]; then
		echo "palisade: findings recorded in $sarif (fail-on-findings: false)" >&2
		code=0
	else
		echo "palisade: findings at or above --fail-on; the report is $sarif" >&2
	fi
	;;
*) echo "palisade: scan failed with exit code $code" >&2 ;;
esac
exit "$code"
