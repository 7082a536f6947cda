#!/usr/bin/env bash
# Checks that every C++ file of the repository follows .clang-format (Google style, 100
# columns), or rewrites them in place.
#
#   tools/check_format.sh         list the files that differ and fail (CI runs this)
#   tools/check_format.sh --fix   format every file in place
#   tools/check_format.sh FILE..  check only these files
set -euo pipefail
cd "$(dirname "$0")/.."

command -v clang-format >/dev/null || {
  echo "check_format: clang-format is missing; run tools/setup.sh" >&2
  exit 1
}

fix=0
files=()
for arg in "$@"; do
  case "$arg" in
    --fix) fix=1 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "check_format: unknown option $arg (try --help)" >&2; exit 2 ;;
    *) files+=("$arg") ;;
  esac
done
if [[ ${#files[@]} -eq 0 ]]; then
  # Tracked files and new ones not yet added (ignored ones left out).
  mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cc' '*.h')
fi

if [[ $fix -eq 1 ]]; then
  clang-format -i --style=file "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi

bad=()
for file in "${files[@]}"; do
  clang-format --dry-run -Werror --style=file "$file" >/dev/null 2>&1 || bad+=("$file")
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "check_format: ${#bad[@]} of ${#files[@]} C++ files differ from .clang-format:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "run tools/check_format.sh --fix (or clang-format -i FILE) and commit the result" >&2
  exit 1
fi
echo "check_format: all ${#files[@]} C++ files follow .clang-format"
