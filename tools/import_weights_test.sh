#!/bin/bash
# End-to-end check of //tools:import_weights on the Python-written fixtures (a torchvision
# ResNet-50 stem + fc [10, 128] at width 1/16; wsol/backbones/testdata/).
set -uo pipefail
source tools/testing/test_helpers.sh

tool=tools/import_weights
fixtures=wsol/backbones/testdata
args=(--backbone=resnet50 --width_multiplier=0.0625 --num_classes=200)

for format in zip legacy; do
  out="$TEST_TMPDIR/resnet50_$format.pt"
  output=$("$tool" "${args[@]}" --checkpoint="$fixtures/torchvision_stem_$format.pth" \
    --out="$out" 2>&1) || fail "$format: exit status $?: $output"
  # conv1 + 5 bn1 tensors copied; 200 classes, so fc is skipped, not mis-shaped.
  expect_line "$output" "copied 6 tensors;"
  expect_line "$output" "0 mis-shaped, 2 classifier tensors skipped"
  expect_line "$output" "classifier skipped: fc.weight: module [200, 128], checkpoint [10, 128]"
  expect_line "$output" "missing: layer1.0.conv1.weight"
  expect_line "$output" "wrote $out"
  [[ -s "$out" ]] || fail "$format: $out not written"
done

# Strict mode: the fixture lacks every block, so the import fails and writes nothing.
strict_out="$TEST_TMPDIR/strict.pt"
if output=$("$tool" "${args[@]}" --strict --checkpoint="$fixtures/torchvision_stem_zip.pth" \
  --out="$strict_out" 2>&1); then
  fail "--strict succeeded: $output"
fi
expect_line "$output" "missing tensors in --strict mode"
[[ ! -e "$strict_out" ]] || fail "--strict wrote $strict_out"

# Unknown backbone and unreadable checkpoint: errors that name them.
output=$("$tool" --backbone=resnet51 --checkpoint=x --out=y 2>&1) && fail "resnet51 accepted"
expect_line "$output" "unknown backbone \"resnet51\""
output=$("$tool" "${args[@]}" --checkpoint="$TEST_TMPDIR/none.pth" --out=y 2>&1) &&
  fail "missing checkpoint accepted"
expect_line "$output" "$TEST_TMPDIR/none.pth: cannot open"
finish
