#!/usr/bin/env bash
# wsol/ stands alone: in a copy of the workspace without tools/, baselines/, datasets/
# and paper_tables/, every target under //wsol/... loads and analyzes (each dependency
# resolves; //tools:layers_test checks that no wsol/ source includes a file above it).
# Run by .ci/run; by hand: tools/wsol_alone_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r WORKSPACE BUILD.bazel .bazelrc third_party wsol "$copy/"
cd "$copy"
[[ ! -e tools && ! -e baselines && ! -e datasets && ! -e paper_tables ]]
status=0
bazel build --nobuild //wsol/... || status=$?
bazel shutdown >/dev/null 2>&1 || true
if [[ $status -ne 0 ]]; then
  echo "FAIL: //wsol/... does not build without tools/, baselines/, datasets/, paper_tables/" >&2
  exit 1
fi
echo "wsol/ builds alone: //wsol/... analyzed without tools/, baselines/, datasets/ and paper_tables/"
