#!/usr/bin/env bash
# A new user's first commands, as they type them: every binary's --help, a stray word,
# the README's training command under `bazel run`, the dry run's cost line, the paper
# profile on an empty data folder, bad flag values, and Ctrl-C / SIGTERM to a table whose
# --jobs are training in child processes.
set -uo pipefail
source tools/testing/test_helpers.sh

tmp="${TEST_TMPDIR:-$(mktemp -d)}"
cache="$tmp/cache"

# --help: the binary's own flags with their descriptions, exit 0 (Abseil's default put
# "No flags matched." and exit 1 here, the flags living in a library). The arguments are
# every table's name (tables.bzl).
[[ $# -ge 9 ]] || fail "expected the tables' names as arguments, got $#"
for table in "$@"; do
  binary="paper_tables/$table"
  run_status 0 "$binary" --help
  expect_line "$output" "--dry_run  List the runs, their specs and cost without training."
  expect_line "$output" "--seeds  Seeds to run instead of the table's"
  expect_line "$output" "--jobs  Runs trained at once"
  refuse_whole_line "$output" "No flags matched."
done
declare -A own_flag=(
  [tools/train]="--spec  Experiment spec"
  [wsol/train/train_step_cli]="--backbone"
  [tools/evaluate]="--json_out"
  [tools/import_weights]="--checkpoint"
  [tools/pretrain]="--out"
  [datasets/prepare/prepare]="--dataset"
  [datasets/fmnist_loc/prepare_fmnist_loc]="--out"
)
for binary in "${!own_flag[@]}"; do
  run_status 0 "$binary" --help
  expect_line "$output" "${own_flag[$binary]}"
  run_status 0 "$binary" --helpfull
  expect_line "$output" "--flagfile"  # Abseil's own flags: in --helpfull only.
done

# A stray word is an error that says which flag was meant.
run_status 2 paper_tables/table1 table2
expect_line "$output" 'unexpected argument "table2" (did you mean --table=table2?)'
run_status 2 tools/train baselines/specs/cam_er.pbtxt
expect_line "$output" 'did you mean --spec=baselines/specs/cam_er.pbtxt?'

# Bad flag values are refused by name.
run_status 2 paper_tables/table1 --jobs=-1 --dry_run
expect_line "$output" "--jobs=-1: expected 0 (one per core) to 256"
run_status 2 tools/train --spec=baselines/specs/cam_er.pbtxt --dist_timeout_s=-5
expect_line "$output" "--dist_timeout_s=-5: expected 1 to 604800 seconds"
run_status 1 wsol/train/train_step_cli --backbone=nope
expect_line "$output" "train_step_cli: "
grep -q "Exception raised from" <<<"$output" && fail "train_step_cli printed a stack trace"

# The README's training command, the way `bazel run` starts it: the working directory is
# the binary's runfiles (here: a folder that holds nothing), the spec path is relative to
# where the user typed it, and the pretrained weights named inside the spec are found in
# the workspace.
workspace=$PWD
elsewhere="$tmp/runfiles_of_another_binary"
mkdir -p "$elsewhere"
output=$(cd "$elsewhere" && BUILD_WORKSPACE_DIRECTORY="$workspace" \
  BUILD_WORKING_DIRECTORY="$workspace" "$workspace/tools/train" \
  --spec=baselines/specs/cam_er.pbtxt --validate_only --cache_dir="$cache" 2>&1)
status=$?
[[ $status -eq 0 ]] || fail "train --validate_only under bazel run exited $status:"$'\n'"$output"
expect_line "$output" "spec OK: baselines/specs/cam_er.pbtxt"
expect_line "$output" "pretrained weights: "

# The dry run ends with what the table costs.
run_status 0 paper_tables/table1 --dry_run --cache_dir="$cache"
expect_line "$output" "table1: 30 runs (10 rows x 3 seeds)"
last=$(tail -n 1 <<<"$output")
[[ "$last" =~ ^30\ to\ train,\ 0\ cached,\ about\ [0-9.]+\ CPU-minutes\ and\ [0-9]+\ MB$ ]] ||
  fail "the dry run's last line is not the cost line: $last"

# The paper profile on an empty data folder is refused before anything trains; its dry
# run lists the runs and says what is missing.
mkdir -p "$tmp/empty_data"
run_status 1 paper_tables/table1 --profile=paper --data_root="$tmp/empty_data" \
  --cache_dir="$cache"
expect_line "$output" "the paper profile cannot train these runs yet"
expect_line "$output" "no prepared data set for CUB ($tmp/empty_data/CUB)"
expect_line "$output" "no pretrained weights for preresnet18, se_resnet50"
run_status 0 paper_tables/table1 --profile=paper --dry_run --cache_dir="$cache"
expect_line "$output" "table1: 40 runs"
expect_line "$output" "not ready to train"

# SIGTERM to a table whose --jobs train in children: the children stop with it.
tiny="dataset.fmnist_loc.train_per_class=3,dataset.fmnist_loc.val_per_class=1"
tiny+=",dataset.fmnist_loc.test_per_class=2,optimizer.epochs=500,optimizer.batch_size=10"
paper_tables/table1 --cache_dir="$tmp/sigterm_cache" --set="$tiny" --seeds=0 --jobs=2 \
  >"$tmp/sigterm.log" 2>&1 &
table=$!
children=""
for _ in $(seq 1 600); do
  children=$(pgrep -P "$table" | tr '\n' ' ')
  [[ $(wc -w <<<"$children") -ge 2 ]] && break
  sleep 0.1
done
[[ $(wc -w <<<"$children") -ge 2 ]] || fail "the table started no two children: $(cat "$tmp/sigterm.log")"
kill -TERM "$table"
wait "$table"
status=$?
[[ $status -eq 143 ]] || fail "the table exited $status after SIGTERM, expected 143"
for _ in $(seq 1 100); do
  alive=""
  for child in $children; do
    state=$(awk '{print $3}' "/proc/$child/stat" 2>/dev/null)
    [[ -n "$state" && "$state" != "Z" ]] && alive+="$child "
  done
  [[ -z "$alive" ]] && break
  sleep 0.1
done
[[ -z "$alive" ]] || { fail "children $alive kept running after the table was stopped"; kill -9 $alive; }

finish
