#!/usr/bin/env bash
# One epoch plus its evaluation: //tools:train against clovaai/wsolevaluation's main.py
# (what a WSOL researcher would otherwise run), on the same spec and the same CPU threads,
# in turn, ROUNDS times.
#
#   tools/setup.sh --bench && bazel build //tools:train
#   tools/bench/compare_wsolevaluation.sh WSOLEVALUATION_CHECKOUT [ROUNDS] [THREADS]
#
# The spec is tools/bench/wsolevaluation_cam_resnet50.pbtxt (CAM, ResNet50 from random
# weights, wsolevaluation's recipe at its CUB values, FMNIST-Loc at 224 px, one epoch);
# main.py gets the same values, read from the spec as //tools:train resolved it, and runs
# unmodified through tools/bench/wsolevaluation_main.py (its .cuda() calls made no-ops, its
# data folders pointed at the FMNIST-Loc root, which is already in its metadata format).
# Both sides use THREADS intra-op threads (default 2) and 2 loader workers.
#
# Timed inside each process: the training epoch, and its evaluation on the validation
# split (main.py's Trainer.evaluate: top-1, then CAMs and MaxBoxAccV2; ours: the
# "observe" phases of --profile, one forward for both plus the training sample's one
# batch). Also the whole process, which for main.py includes its evaluation before the
# first epoch, and for both the test split. Prints a Markdown table (each round and the
# median ratios wsolevaluation / ours), ready for the README.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "usage: $0 WSOLEVALUATION_CHECKOUT [ROUNDS] [THREADS]" >&2
  exit 2
fi
checkout=$(cd "$1" && pwd)
rounds="${2:-1}"
threads="${3:-2}"
spec=tools/bench/wsolevaluation_cam_resnet50.pbtxt
train=bazel-bin/tools/train
[[ -f "$checkout/main.py" ]] ||
  { echo "$checkout: no main.py; expected a clovaai/wsolevaluation checkout" >&2; exit 1; }
[[ -x "$train" ]] || { echo "build //tools:train first (bazel build //tools:train)" >&2; exit 1; }
/usr/bin/python3 -c 'import torch, torchvision, cv2, munch, PIL' 2>/dev/null ||
  { echo "Python's torch, torchvision, OpenCV, munch or PIL is missing: run tools/setup.sh --bench" >&2
    exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }

# Checks the spec and generates the data set.
"$train" --spec="$spec" --output_dir="$work/run" --cache_dir="$work/cache" --device=cpu \
  --validate_only >"$work/validate.log" 2>&1 || { cat "$work/validate.log" >&2; exit 1; }
data=$(dirname "$(find "$work/cache/fmnist_loc" -name fmnist_loc.txt | head -1)")
# main.py's arguments, from the spec as our run resolved it (its run folder's spec.pbtxt).
main_args=()
resolve_main_args() {
  local resolved="$work/run/spec.pbtxt"
  [[ -f "$resolved" ]] || { echo "//tools:train wrote no $resolved" >&2; return 1; }
  field() { awk -v key="$1:" '$1 == key { gsub(/"/, "", $2); print $2; exit }' "$resolved"; }
  [[ "$(field architecture)" == resnet50 ]] || { echo "$spec: not a ResNet50 spec" >&2; return 1; }
  local large_map
  large_map=$(field large_feature_map)
  main_args=(
    --architecture resnet50 --wsol_method cam --pretrained FALSE
    --large_feature_map "${large_map:-false}"
    --lr "$(field lr)" --lr_classifier_ratio "$(field classifier_lr_multiplier)"
    --momentum "$(field momentum)" --weight_decay "$(field weight_decay)"
    --batch_size "$(field batch_size)" --epochs "$(field epochs)"
    --resize_size "$(field resize_size)" --crop_size "$(field crop_size)"
    --cam_curve_interval "$(field cam_curve_interval)"
    --workers 2 --seed 0 --experiment_name cam
  )
}

ours() {
  rm -rf "$work/run"
  local start end
  start=$(now)
  "$train" --spec="$spec" --output_dir="$work/run" --cache_dir="$work/cache" --device=cpu \
    --threads="$threads" --profile >"$work/ours.log" 2>&1 ||
    { echo "compare_wsolevaluation: //tools:train failed; its output:" >&2
      cat "$work/ours.log" >&2; return 1; }
  end=$(now)
  # The --profile table: "| phase | seconds | share |".
  awk -F'|' -v wall="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" '
    $2 ~ /^ train: / { train += $3 }
    $2 ~ /^ observe: / { observe += $3 }
    END { printf "%.1f %.1f %.1f\n", train, observe, wall }' "$work/ours.log"
}
theirs() {
  rm -rf "$work/theirs" "$work/timings.jsonl"
  local start end
  start=$(now)
  /usr/bin/python3 tools/bench/wsolevaluation_main.py --wsolevaluation="$checkout" \
    --data="$data" --work="$work/theirs" --timings="$work/timings.jsonl" \
    --threads="$threads" -- "${main_args[@]}" >"$work/theirs.log" 2>&1 ||
    { echo "compare_wsolevaluation: wsolevaluation's main.py failed; its output:" >&2
      tail -40 "$work/theirs.log" >&2; return 1; }
  end=$(now)
  # The training epoch, and the evaluation on val after it (the second val record; the
  # first is main.py's evaluation before training).
  /usr/bin/python3 - "$work/timings.jsonl" "$start" "$end" <<'EOF'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
train = sum(r["seconds"] for r in records if r["phase"] == "train")
val = [r["seconds"] for r in records if r["phase"] == "evaluate" and r["split"] == "val"]
print("%.1f %.1f %.1f" % (train, val[1], float(sys.argv[3]) - float(sys.argv[2])))
EOF
}

echo "| round | ours: epoch + val (s) | main.py: epoch + val (s) | ratio | ours: process (s) | main.py: process (s) | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
epoch_ratios=()
process_ratios=()
for ((r = 1; r <= rounds; ++r)); do
  read -r o_train o_val o_wall < <(ours) || exit 1
  [[ ${#main_args[@]} -gt 0 ]] || resolve_main_args || exit 1
  read -r t_train t_val t_wall < <(theirs) || exit 1
  row=$(awk -v ot="$o_train" -v ov="$o_val" -v ow="$o_wall" -v tt="$t_train" -v tv="$t_val" \
    -v tw="$t_wall" -v r="$r" 'BEGIN {
      printf "| %d | %.1f + %.1f | %.1f + %.1f | %.2f | %.1f | %.1f | %.2f |", r, ot, ov, tt, tv,
        (tt + tv) / (ot + ov), ow, tw, tw / ow }')
  echo "$row"
  epoch_ratios+=("$(awk -F'|' '{ print $5 + 0 }' <<<"$row")")
  process_ratios+=("$(awk -F'|' '{ print $8 + 0 }' <<<"$row")")
done
median() {
  printf '%s\n' "$@" | sort -n |
    awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo
echo "median over $rounds round(s), wsolevaluation / ours: one epoch plus its evaluation" \
  "$(median "${epoch_ratios[@]}")x, the whole process $(median "${process_ratios[@]}")x" \
  "($threads threads each)"
