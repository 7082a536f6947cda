#!/usr/bin/env bash
# The embedded CAM run's training epoch, C++ (//tools:train) against Python
# (tools/bench/python_embedded_epoch.py: the same model, data, transforms, loss, optimizer
# and batch size on the same LibTorch), one thread each, in turn, ROUNDS times.
#
#   tools/setup.sh --bench && bazel build //tools:train
#   tools/bench/compare_embedded_epoch.sh [ROUNDS]     # default 3
#
# Each side trains 6 epochs and reports the median epoch after the first: C++ from its
# history.csv (scoring only after the last epoch, which is left out), Python from its own
# clock. Both time the epoch inside the process (data, forward, backward, SGD), not the
# start-up. Prints each round and the median ratio Python / C++.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
train=bazel-bin/tools/train
[[ -x "$train" ]] || { echo "build //tools:train first (bazel build //tools:train)" >&2; exit 1; }
/usr/bin/python3 -c 'import torch, cv2' 2>/dev/null ||
  { echo "Python's torch and OpenCV are missing: run tools/setup.sh --bench" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpp_epoch() {
  rm -rf "$work/run"
  if ! "$train" --spec=baselines/specs/cam.pbtxt --output_dir="$work/run" \
    --cache_dir="$work/cache" --threads=1 \
    --set=optimizer.epochs=6,evaluation.observe_every_epochs=6,runtime.checkpoint_every_epochs=6 \
    >"$work/train.log" 2>&1; then
    echo "compare_embedded_epoch: the C++ run failed; its output:" >&2
    cat "$work/train.log" >&2
    return 1
  fi
  # Epochs 2-5 of history.csv (the 9th column is seconds; epoch 6 was also scored).
  awk -F, 'NR >= 3 && NR <= 6 { print $9 }' "$work/run/history.csv" | sort -n |
    awk '{ v[NR] = $1 } END { print (v[2] + v[3]) / 2 }'
}
python_epoch() {
  if ! /usr/bin/python3 tools/bench/python_embedded_epoch.py --data="$1" --epochs=6 \
    >"$work/python.log" 2>&1; then
    echo "compare_embedded_epoch: the Python run failed; its output:" >&2
    cat "$work/python.log" >&2
    return 1
  fi
  awk '/^median/ { print $(NF - 1) }' "$work/python.log"
}

cpp_epoch >/dev/null || exit 1  # Generates the data set (and warms the page cache).
data=$(dirname "$(find "$work/cache/fmnist_loc" -name fmnist_loc.txt | head -1)")
ratios=()
for ((r = 1; r <= rounds; ++r)); do
  cpp=$(cpp_epoch) || exit 1
  py=$(python_epoch "$data") || exit 1
  ratio=$(awk -v p="$py" -v c="$cpp" 'BEGIN { printf "%.2f", p / c }')
  ratios+=("$ratio")
  echo "round $r: C++ epoch ${cpp} s, Python epoch ${py} s, Python / C++ ${ratio}"
done
printf '%s\n' "${ratios[@]}" | sort -n |
  awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
         printf "median Python / C++ epoch time over %d rounds: %.2f\n", NR, m }'
