#!/usr/bin/env bash
# The spec tools/bench/compare_wsolevaluation.sh trains beside wsolevaluation's main.py
# still loads, validates and builds (data and ResNet50) with //tools:train, and keeps
# main.py's precondition of at least 10 training batches an epoch (it divides by
# len(loader) / 10).
set -uo pipefail
source tools/testing/test_helpers.sh

tmp="${TEST_TMPDIR:-$(mktemp -d)}"
spec=tools/bench/wsolevaluation_cam_resnet50.pbtxt
run_status 0 tools/train --spec="$spec" --validate_only --cache_dir="$tmp/cache" \
  --output_dir="$tmp/run" --device=cpu
expect_line "$output" "spec OK: $spec"

# 10 classes of train_per_class images (datasets/specs/fmnist_loc.pbtxt), batch_size
# from the spec.
value() { awk -v key="$2:" '{ for (i = 1; i < NF; ++i) if ($i == key) { print $(i + 1); exit } }' "$1"; }
per_class=$(value datasets/specs/fmnist_loc.pbtxt train_per_class)
batch=$(value "$spec" batch_size)
[[ -n "$per_class" && -n "$batch" ]] || fail "could not read train_per_class or batch_size"
batches=$(((10 * per_class + batch - 1) / batch))
[[ $batches -ge 10 ]] ||
  fail "$spec: $batches training batches an epoch; wsolevaluation's main.py needs at least 10"
finish
