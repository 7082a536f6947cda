#!/usr/bin/env bash
# The tuning protocol end to end on the embedded profile at tiny size (3 training images
# per class, one epoch): two cells (CAM and ADL), 3 trials each. Checks that --help
# documents the protocol, that the dry run says what the search costs and trains nothing,
# that each cell's winner is its trial with the best val score (trials.csv), and that
# Table 1 run with --tuned trains those rows with the winners' values: the tuned CAM row
# is the winning trial's own cached run.
set -euo pipefail

tmp="${TEST_TMPDIR:-$(mktemp -d)}"
cache="$tmp/cache"
tiny="dataset.fmnist_loc.train_per_class=3,dataset.fmnist_loc.val_per_class=1"
tiny+=",dataset.fmnist_loc.test_per_class=2,optimizer.epochs=1,optimizer.batch_size=10"
tiny+=",runtime.threads=1"
cells="cam:baseline,adl:baseline"

fail() { echo "FAIL: $*" >&2; exit 1; }

paper_tables/tune --help >"$tmp/help.txt"
for word in wsolevaluation "val split" "--trials" "--cells" "--search_seed" "tuned.pbtxt"; do
  grep -qF -- "$word" "$tmp/help.txt" || fail "tune --help does not mention '$word'"
done
status=0
paper_tables/tune >"$tmp/none.log" 2>&1 || status=$?
[[ $status -eq 2 ]] && grep -q -- "--table is required" "$tmp/none.log" ||
  fail "tune without --table: exit $status, want 2 and a message"

# The cost comes first; a dry run stops there.
paper_tables/tune --table=table1 --cells="$cells" --trials=3 --set="$tiny" \
  --cache_dir="$cache" --dry_run >"$tmp/dry.log" 2>&1 || { cat "$tmp/dry.log" >&2; fail "dry run"; }
grep -q '2 cells x 3 trials x 1 seed(s) = 6 runs' "$tmp/dry.log" || fail "no trial count"
grep -q '^6 to train, 0 cached, about .* CPU-minutes' "$tmp/dry.log" || fail "no cost line"
[[ ! -d "$cache/runs" ]] || fail "the dry run trained something"

paper_tables/tune --table=table1 --cells="$cells" --trials=3 --set="$tiny" \
  --cache_dir="$cache" --jobs=2 >"$tmp/tune.log" 2>&1 || { cat "$tmp/tune.log" >&2; fail "tune"; }
out="$cache/tune/embedded/table1"
csv="$out/trials.csv"
[[ -s "$out/tuned.pbtxt" && -s "$csv" && -s "$out/chosen.md" ]] || fail "missing outputs in $out"
[[ $(($(wc -l <"$csv") - 1)) -eq 6 ]] || fail "trials.csv: $(($(wc -l <"$csv") - 1)) trials, want 6"

# Per cell: the trial marked chosen has the cell's best val score (the first on a tie).
awk -F, '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  {
    cell = $col["cell"]; score = $col["val_localization"]
    if (score != "" && (!(cell in best) || score + 0 > best[cell] + 0)) { best[cell] = score; trial[cell] = $col["trial"] }
    if ($col["chosen"] == "yes") { chosen[cell] = $col["trial"]; n++ }
  }
  END {
    if (n != 2) { print "chosen rows: " n ", want 2"; exit 1 }
    for (c in best) if (chosen[c] != trial[c]) { print c ": chosen trial " chosen[c] ", best " trial[c]; exit 1 }
  }' "$csv" || fail "the chosen trial is not the best on val"

# Table 1 with --tuned: the CAM row has the winner's learning rate, says where it came
# from, and is the winning trial's run (cached); rows not tuned keep the recipe's.
cam_lr=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $col["cell"] == "cam:baseline" && $col["chosen"] == "yes" { print $col["lr"] }' "$csv")
[[ -n "$cam_lr" ]] || fail "no chosen CAM trial"
paper_tables/table1 --tuned="$out/tuned.pbtxt" --set="$tiny" --cache_dir="$cache" --seeds=0 \
  --dry_run --print_specs >"$tmp/table1.log" 2>&1 || { cat "$tmp/table1.log" >&2; fail "table1 --tuned"; }
awk '/\[this shard\] CAM  /{on=1; next} /\[this shard\]/{on=0} on' "$tmp/table1.log" >"$tmp/cam.txt"
grep -qF "optimizer.lr: $cam_lr  # --tuned=$out/tuned.pbtxt" "$tmp/cam.txt" ||
  { cat "$tmp/cam.txt" >&2; fail "table1's CAM row does not train at the tuned lr $cam_lr"; }
grep -q '(cached)' "$tmp/cam.txt" || fail "table1's tuned CAM row is not the winning trial's run"
awk '/\[this shard\] HaS  /{on=1; next} /\[this shard\]/{on=0} on' "$tmp/table1.log" |
  grep -qF 'optimizer.lr: 0.03  # baselines/specs/recipes/embedded.pbtxt' ||
  fail "an untuned row changed"

# A tuned file of another table's cells is refused by name.
printf 'profile: "embedded"\ncell { group: "spg" variant: "baseline" set: "optimizer.lr=0.1" }\n' \
  >"$tmp/other.pbtxt"
status=0
paper_tables/table1 --tuned="$tmp/other.pbtxt" --dry_run >"$tmp/other.log" 2>&1 || status=$?
[[ $status -ne 0 ]] && grep -q 'other.pbtxt: cell 1 ("spg:baseline"): names no row of table table1' \
  "$tmp/other.log" || { cat "$tmp/other.log" >&2; fail "a foreign tuned cell was not refused"; }
echo PASS
