#!/usr/bin/env bash
# Re-records wsol/evaluation/testdata/wsolevaluation_golden.txt: the numbers that
# clovaai/wsolevaluation's own BoxEvaluator and MaskEvaluator give on the parity sets of
# //wsol/evaluation:parity_fixture (read by //wsol/evaluation:wsolevaluation_parity_test).
#
#   tools/regenerate_metric_goldens.sh WSOLEVALUATION_CHECKOUT [--time]
#
# Needs Debian's python3-numpy and python3-opencv (tools/setup.sh --bench). Their code is
# imported unchanged from the checkout (tools/wsolevaluation_reference.py explains the
# stand-ins for modules it imports but does not use). Takes about 5 minutes. With --time
# it also prints their per-image accumulate() times on the same score maps, the Python
# side of the speed comparison with //wsol/evaluation:metrics_benchmark.
set -euo pipefail
checkout="${1:?usage: tools/regenerate_metric_goldens.sh WSOLEVALUATION_CHECKOUT [--time]}"
[[ -f "$checkout/evaluation.py" ]] || { echo "$checkout has no evaluation.py" >&2; exit 2; }
checkout="$(cd "$checkout" && pwd)"
cd "$(dirname "$0")/.."
python=/usr/bin/python3
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
bazel build //wsol/evaluation:write_parity_fixture
bazel-bin/wsol/evaluation/write_parity_fixture --out="$scratch/fixture"
golden=wsol/evaluation/testdata/wsolevaluation_golden.txt
"$python" tools/wsolevaluation_reference.py golden --wsolevaluation="$checkout" \
  --fixture="$scratch/fixture" > "$scratch/golden.txt"
mv "$scratch/golden.txt" "$golden"
git --no-pager diff --stat -- "$golden"
if [[ "${2:-}" == "--time" ]]; then
  "$python" tools/wsolevaluation_reference.py time --wsolevaluation="$checkout" \
    --fixture="$scratch/fixture"
fi
