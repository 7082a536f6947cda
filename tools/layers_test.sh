#!/usr/bin/env bash
# The layer rule: folders are floors. A library file includes only files of its own room
# or of a lower floor; only binaries (*_main.cc, and *_test.cc / *_benchmark.cc, which
# link no library) may include upward, to wire the layers together.
#
#   floor 0  wsol/util, wsol/proto
#   floor 1  wsol/spec, wsol/metrics, wsol/cam, wsol/backbones, wsol/regularizers
#   floor 2  wsol/metadata, wsol/methods
#   floor 3  wsol/data, wsol/evaluation
#   floor 4  wsol/train
#   floor 5  baselines/, datasets/ (each one room, subfolders included)
#   floor 6  tools/
#   floor 7  paper_tables/
# Rooms on the same floor do not include each other. The test also plants violations in
# a copy of a few files and requires the check to catch them.
set -uo pipefail

room_of() {  # room_of PATH: the room a repository file belongs to
  case "$1" in
    wsol/*) local rest="${1#wsol/}"; echo "wsol/${rest%%/*}" ;;
    baselines/*) echo baselines ;;
    datasets/*) echo datasets ;;
    tools/*) echo tools ;;
    paper_tables/*) echo paper_tables ;;
    *) echo "" ;;
  esac
}

floor_of() {  # floor_of ROOM
  case "$1" in
    wsol/util|wsol/proto) echo 0 ;;
    wsol/spec|wsol/metrics|wsol/cam|wsol/backbones|wsol/regularizers) echo 1 ;;
    wsol/metadata|wsol/methods) echo 2 ;;
    wsol/data|wsol/evaluation) echo 3 ;;
    wsol/train) echo 4 ;;
    baselines|datasets) echo 5 ;;
    tools) echo 6 ;;
    paper_tables) echo 7 ;;
    *) echo -1 ;;
  esac
}

check_tree() (  # check_tree DIR: prints the violations; exit status 1 if any
cd "$1" || exit 2
violations=()
checked=0
while IFS= read -r file; do
  case "$file" in
    *_main.cc|*_test.cc|*_benchmark.cc) continue ;;
  esac
  room=$(room_of "$file")
  floor=$(floor_of "$room")
  if [[ $floor -lt 0 ]]; then
    violations+=("$file: its folder is on no floor (add it to tools/layers_test.sh)")
    continue
  fi
  checked=$((checked + 1))
  while IFS= read -r header; do
    [[ -f "$header" ]] || continue  # a system or generated header
    hroom=$(room_of "$header")
    [[ -z "$hroom" || "$hroom" == "$room" ]] && continue
    hfloor=$(floor_of "$hroom")
    if [[ $hfloor -ge $floor ]]; then
      violations+=("$file (floor $floor, $room) includes $header (floor $hfloor, $hroom)")
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(find wsol baselines datasets tools paper_tables -path tools/consumer_example -prune -o \( -name '*.cc' -o -name '*.h' \) -print 2>/dev/null | sort)

if [[ ${#violations[@]} -gt 0 ]]; then
  echo "layer rule broken (a library file may include only its own room or lower floors):"
  printf '  %s\n' "${violations[@]}"
  exit 1
fi
echo "layers: $checked library files, every include on its own floor or below"
)

check_tree . || exit 1

# The check catches what it is for: an upward include from the core, a sideways one
# between baselines/ and datasets/, and passes a main that wires layers.
scratch="${TEST_TMPDIR:-$(mktemp -d)}/layers_self_check"
rm -rf "$scratch"
mkdir -p "$scratch/wsol/train" "$scratch/baselines" "$scratch/datasets"
printf '#include "baselines/a.h"\n' >"$scratch/wsol/train/up.cc"
printf '#include "datasets/b.h"\n' >"$scratch/baselines/a.h"
printf '#include "wsol/train/up.h"\n' >"$scratch/datasets/b.h"
printf '#include "baselines/a.h"\n' >"$scratch/wsol/train/wire_main.cc"
touch "$scratch/wsol/train/up.h"
planted=$(check_tree "$scratch")
[[ $? -eq 1 ]] || { echo "FAIL: planted violations passed: $planted"; exit 1; }
for want in "wsol/train/up.cc (floor 4, wsol/train) includes baselines/a.h (floor 5, baselines)" \
            "baselines/a.h (floor 5, baselines) includes datasets/b.h (floor 5, datasets)"; do
  grep -qF "$want" <<<"$planted" || { echo "FAIL: missed \"$want\" in: $planted"; exit 1; }
done
grep -qF "wire_main.cc" <<<"$planted" && { echo "FAIL: a main was refused: $planted"; exit 1; }
grep -qF "datasets/b.h (floor 5, datasets) includes" <<<"$planted" && { echo "FAIL: a downward include was refused"; exit 1; }
echo "PASS"
