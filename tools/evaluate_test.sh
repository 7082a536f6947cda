#!/bin/bash
# //tools:evaluate end to end on the parity sets of //wsol/evaluation:parity_fixture: the
# numbers it prints as JSON are wsolevaluation's (wsol/evaluation/testdata/
# wsolevaluation_golden.txt, recorded from their Python code), and every kind of bad input
# gives a clear error on stderr, exit status 1 and nothing on stdout.
set -uo pipefail
source tools/testing/test_helpers.sh

evaluate="$1"
write_fixture="$2"
golden="$3"
fixture="$TEST_TMPDIR/fixture"

"$write_fixture" --out="$fixture" || { echo "write_parity_fixture failed" >&2; exit 1; }

# golden_value SETTING KEY: the value recorded for it.
golden_value() { awk -v s="$1" -v k="$2" '$1 == s && $2 == k { print $3 }' "$golden"; }

# json_value FILE KEY [SUBKEY]: a number from the report's JSON.
json_value() {
  if [[ $# -eq 3 ]]; then
    sed -n "s/.*\"$2\": {.*\"$3\": \([-0-9.e+]*\).*/\1/p" "$1"
  else
    sed -n "s/.*\"$2\": \([-0-9.e+]*\).*/\1/p" "$1"
  fi
}

# same NAME OURS THEIRS TOLERANCE: numeric comparison (awk parses both as doubles).
same() {
  if [[ -z "$2" || -z "$3" ]] ||
     ! awk -v a="$2" -v b="$3" -v t="$4" 'BEGIN { d = a - b; exit !(d <= t && -d <= t) }'; then
    fail "$1: ours \"$2\", wsolevaluation \"$3\""
  fi
}

# --- Their numbers, through the command line -----------------------------------------
for setting in "0.01 true multi" "0.001 true multi" "0.01 false single"; do
  read -r interval multi name <<<"$setting"
  json="$TEST_TMPDIR/boxes_${interval}_$name.json"
  "$evaluate" --metadata="$fixture/boxes/metadata" --scoremaps="$fixture/boxes/scoremaps" \
    --cam_curve_interval="$interval" --multi_contour_eval="$multi" --threads=2 \
    --json_out="$json" > "$TEST_TMPDIR/stdout" || fail "boxes $setting exited $?"
  for iou in 30 50 70; do
    same "boxes_${interval}_$name IoU $iou" "$(json_value "$json" max_box_acc "$iou")" \
      "$(golden_value "boxes_${interval}_$name" "max_box_acc_$iou")" 0
  done
done
grep -qF "| MaxBoxAcc (IoU 50) |" "$TEST_TMPDIR/stdout" ||
  fail "no MaxBoxAcc row in the table"

for interval in 0.01 0.001; do
  json="$TEST_TMPDIR/masks_$interval.json"
  "$evaluate" --metadata="$fixture/masks/metadata" --scoremaps="$fixture/masks/scoremaps" \
    --mask_root="$fixture/masks/masks" --cam_curve_interval="$interval" \
    --json_out="$json" > "$TEST_TMPDIR/stdout" || fail "masks $interval exited $?"
  same "masks_$interval PxAP" "$(json_value "$json" pxap)" \
    "$(golden_value "masks_$interval" pxap)" 0
done
grep -qF "| PxAP |" "$TEST_TMPDIR/stdout" || fail "no PxAP row in the table"

# --- Where the JSON goes -----------------------------------------------------------------
# A link is followed (the file it names is written, the link stays); a device, FIFO or
# folder is never replaced (the old writer renamed a regular file over a link to
# /dev/null); - is standard output.
out="$TEST_TMPDIR/json_out"
mkdir -p "$out/real" "$out/a_folder"
ln -s real/report.json "$out/link.json"
ln -s /dev/null "$out/null_link"
mkfifo "$out/fifo"
masks=(--metadata="$fixture/masks/metadata" --scoremaps="$fixture/masks/scoremaps"
  --mask_root="$fixture/masks/masks")
"$evaluate" "${masks[@]}" --json_out="$out/link.json" >/dev/null || fail "--json_out=link exited $?"
[[ -L "$out/link.json" && -s "$out/real/report.json" ]] || fail "the link was not followed"
for target in null_link fifo a_folder; do
  run_status 2 "$evaluate" "${masks[@]}" --json_out="$out/$target"
  expect_line "$output" "evaluate: --json_out: $out/$target"
  expect_line "$output" "an output is written only as a regular file"
done
[[ -L "$out/null_link" && -p "$out/fifo" && -d "$out/a_folder" ]] || fail "an output replaced a special file"
json=$("$evaluate" "${masks[@]}" --json_out=- 2>/dev/null)
same "--json_out=- PxAP" "$(sed -n 's/.*"pxap": \([-0-9.e+]*\).*/\1/p' <<<"$json")" \
  "$(golden_value masks_0.01 pxap)" 0

# --- Bad input ------------------------------------------------------------------------
# expect_error NAME TEXT ARGS...: exit 1, TEXT on stderr, nothing on stdout.
expect_error() {
  local name="$1" text="$2"
  shift 2
  local out err status
  # Under a timeout: a hang (a FIFO read, ...) is a failure, not a stuck test.
  out="$(timeout 120 "$evaluate" "$@" 2> "$TEST_TMPDIR/stderr")"
  status=$?
  err="$(cat "$TEST_TMPDIR/stderr")"
  [[ $status -ne 0 ]] || fail "$name: exited 0"
  [[ -z "$out" ]] || fail "$name: printed a result: $out"
  grep -qF -- "$text" <<<"$err" || fail "$name: stderr lacks \"$text\": $err"
}

# A fresh copy of the box set to break.
broken() {
  rm -rf "$TEST_TMPDIR/broken"
  cp -r "$fixture/$1" "$TEST_TMPDIR/broken"
  chmod -R u+w "$TEST_TMPDIR/broken"
}
boxes=(--metadata="$TEST_TMPDIR/broken/metadata" --scoremaps="$TEST_TMPDIR/broken/scoremaps")
first_id="$(head -n 1 "$fixture/boxes/metadata/image_ids.txt")"
second_id="$(sed -n 2p "$fixture/boxes/metadata/image_ids.txt")"

broken boxes
rm "$TEST_TMPDIR/broken/scoremaps/$second_id.npy"
expect_error "missing score map" "scoremaps/$second_id.npy" "${boxes[@]}"

broken boxes
# A float32 map whose first value is NaN (data start at byte 128 of these files).
printf '\x00\x00\xc0\x7f' | dd of="$TEST_TMPDIR/broken/scoremaps/$first_id.npy" bs=1 seek=128 \
  conv=notrunc 2> /dev/null
expect_error "NaN" "$first_id" "${boxes[@]}"
expect_error "NaN" "NaN" "${boxes[@]}"

broken boxes
# A valid .npy of shape (2, 2).
header="{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
header="$header$(printf '%*s' $((117 - ${#header})) '')"
{ printf '\x93NUMPY\x01\x00\x76\x00'; printf '%s\n' "$header"; head -c 16 /dev/zero; } \
  > "$TEST_TMPDIR/broken/scoremaps/$first_id.npy"
expect_error "wrong shape" "(2, 2); expected (224, 224)" "${boxes[@]}"

broken boxes
sed -i "s/^\([^,]*\),[0-9]*,/\1,x,/; 3q" "$TEST_TMPDIR/broken/metadata/localization.txt"
expect_error "malformed metadata" "localization.txt:1:" "${boxes[@]}"

broken boxes
echo "not_in_image_ids.jpg,3" >> "$TEST_TMPDIR/broken/metadata/class_labels.txt"
expect_error "unknown id" "unknown id not_in_image_ids.jpg" "${boxes[@]}"

broken masks
mask="$(sed -n 's/^[^,]*,\([^,]*\),.*/\1/p; q' "$TEST_TMPDIR/broken/metadata/localization.txt")"
rm "$TEST_TMPDIR/broken/masks/$mask"
expect_error "missing mask" "$mask" "${boxes[@]}" --mask_root="$TEST_TMPDIR/broken/masks"

broken boxes
: > "$TEST_TMPDIR/broken/metadata/localization.txt"
expect_error "empty localization" "localization.txt: no box lines" "${boxes[@]}"

# A score map path that is a folder (once an abort in a worker) or a FIFO (once a reader
# blocked forever): a named error.
broken boxes
rm "$TEST_TMPDIR/broken/scoremaps/$first_id.npy"
mkdir "$TEST_TMPDIR/broken/scoremaps/$first_id.npy"
expect_error "folder as score map" "$first_id.npy: is a directory" "${boxes[@]}"
broken boxes
rm "$TEST_TMPDIR/broken/scoremaps/$first_id.npy"
mkfifo "$TEST_TMPDIR/broken/scoremaps/$first_id.npy"
expect_error "FIFO as score map" "$first_id.npy: is not a regular file" "${boxes[@]}"

# One id with two sizes: an error naming both lines (the last one was kept before).
broken boxes
sed -n 1p "$TEST_TMPDIR/broken/metadata/image_sizes.txt" >> "$TEST_TMPDIR/broken/metadata/image_sizes.txt"
expect_error "duplicate size" "second size for image $first_id (first on line 1)" "${boxes[@]}"

# An empty or BOM-only image_ids.txt is named as itself, not as class_labels.txt.
broken boxes
printf '\xef\xbb\xbf\n' > "$TEST_TMPDIR/broken/metadata/image_ids.txt"
expect_error "empty image ids" "image_ids.txt: lists no image id" "${boxes[@]}"

expect_error "no arguments" "--metadata and --scoremaps are required"
expect_error "bad IoU list" "--iou_thresholds" "${boxes[@]}" --iou_thresholds=30,x
finish
