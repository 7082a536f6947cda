#!/usr/bin/env bash
# Renders every table and figure end to end from a tiny profile (3 training images per
# class, one epoch, one seed; two seeds for Table 1's intervals) and checks the outputs: the Markdown table's header and rows, the CSV
# and JSON beside it, and the figures' PNG files.
set -euo pipefail

cache="${TEST_TMPDIR:-$(mktemp -d)}/cache"
tiny="dataset.fmnist_loc.train_per_class=3,dataset.fmnist_loc.val_per_class=1"
tiny+=",dataset.fmnist_loc.test_per_class=2,optimizer.epochs=1,optimizer.batch_size=10"
tiny+=",runtime.threads=1"

fail() { echo "FAIL: $*" >&2; exit 1; }

run() {  # run NAME [SEEDS]: renders it and prints the output folder
  local name=$1 seeds=${2:-0}
  local log="${TEST_TMPDIR:-/tmp}/$name.log"
  # No --table: each binary finds its spec by its own name.
  "paper_tables/$name" --cache_dir="$cache" --set="$tiny" --seeds="$seeds" >"$log" 2>&1 ||
    { cat "$log" >&2; fail "$name exited non-zero"; }
  local out
  out=$(sed -n 's/^outputs: //p' "$log")
  [[ -d "$out" ]] || fail "$name printed no output folder"
  echo "$out"
}

check_table() {  # check_table NAME ROWS HEADER [SEEDS]
  local name=$1 rows=$2 header=$3 seeds=${4:-0}
  local out
  out=$(run "$name" "$seeds")
  local md="$out/$name.md"
  grep -qF "$header" "$md" || { cat "$md" >&2; fail "$name: header '$header' missing"; }
  # Data rows: every line starting with '| ' except the header and the delimiter.
  local got
  got=$(grep -c '^| ' "$md")
  [[ $got -eq $((rows + 1)) ]] || { cat "$md" >&2; fail "$name: $((got - 1)) rows, want $rows"; }
  grep -q 'pending' "$md" && fail "$name: a run has no results"
  [[ $(wc -l <"$out/$name.csv") -ge 2 ]] || fail "$name: empty CSV"
  [[ -s "$out/$name.json" ]] || fail "$name: empty JSON"
  echo "$out"
}

# Table 1: 5 methods x {baseline, ER} + 5 difference rows.
check_table table1 15 "| Method | Top-1 Cls | Top-1 Loc | GT-known Loc | MaxBoxAccV2 | PxAP | Reg. pull | Seeds |" 0,1 >/dev/null
# Two seeds: cells are mean ± std, the difference rows carry a 95% interval.
grep -q '^| CAM | [0-9.]* ± [0-9.]* |' "$cache/tables/table1/table1.md" || fail "table1: no mean ± std cell"
grep -q '^| Δ (CAM + ER (λ = 1e-4) − CAM) | [+-][0-9.]* \[[+-]' "$cache/tables/table1/table1.md" ||
  fail "table1: no CAM difference row with its interval"
# Until lambda_study's runs are cached, Table 1 names the command that makes its rows.
grep -qF 'not in the cache yet; `bazel run //paper_tables:lambda_study`' "$cache/tables/table1/table1.md" ||
  fail "table1: no note naming lambda_study"
# The lambda study: CAM and ADL x (baseline + 5 lambdas) + 10 difference rows, then per
# method the ER row chosen on val and its difference.
check_table lambda_study 26 "| Method | Setting | Val Loc | Top-1 Cls | MaxBoxAccV2 | PxAP | Train entropy (nats) | Reg. pull | Seeds |" 0,1 >/dev/null
grep -q '^| CAM + ER, chosen on val | λ = [0-9e-]* | ' "$cache/tables/lambda_study/lambda_study.md" ||
  fail "lambda_study: no chosen CAM row"
grep -q '^Chosen on val: .*CAM + ER: λ = .*ADL + ER: λ = ' "$cache/tables/lambda_study/lambda_study.md" ||
  fail "lambda_study: no selection footnote"
# Now Table 1 shows the study's pairs (its baseline, its chosen ER row, their Δ) for CAM
# and ADL, and no note.
check_table table1 21 "| Method | Top-1 Cls |" 0,1 >/dev/null
grep -q '^| Δ (ADL + ER (λ = [0-9e-]* chosen on val, lambda_study) − ADL (lambda_study.s seeds)) | [+-]' \
  "$cache/tables/table1/table1.md" || fail "table1: no chosen ADL pair from lambda_study"
grep -qF 'not in the cache yet' "$cache/tables/table1/table1.md" && fail "table1: stale note"
# Table 1 with all seven methods: 7 x {baseline, ER} + 7 difference rows.
check_table table1_full 21 "| Method | Top-1 Cls | Top-1 Loc | GT-known Loc | MaxBoxAccV2 | PxAP | Reg. pull | Seeds |" >/dev/null
grep -q '^| Δ (SPG + ER (λ = 1e-4) − SPG) | [+-]' "$cache/tables/table1_full/table1_full.md" || fail "table1_full: no SPG difference row"
# The extension: CAM x {ResNet50, VGG16} x {baseline, ER} + 2 difference rows.
check_table table1_extension 6 "| Method | Top-1 Cls | Top-1 Loc | GT-known Loc | MaxBoxAccV2 | PxAP | Reg. pull | Seeds |" >/dev/null
# Table 2: the baseline plus 4 regularizers x 3 lambdas.
check_table table2 13 "| Method | Setting | Top-1 Cls | MaxBoxAccV2 | PxAP | Test entropy (nats) | Train entropy (nats) | Reg. pull | Seeds |" >/dev/null
# The readings of lambda: CE plus ER under 3 readings x 3 lambdas, with the pull column.
check_table lambda_readings 10 "| Method | Setting | Train top-1 | Train CE (nats) | Train entropy (nats) | Top-1 Cls | MaxBoxAccV2 | Reg. pull | Seeds |" >/dev/null
# Table 3: CE, label smoothing, confidence penalty, ER, with test and train entropy.
check_table table3 4 "| Method | Setting | Top-1 Cls | Top-1 Loc | GT-known Loc | MaxBoxAccV2 | PxAP | Test entropy (nats) | Train entropy (nats) | Reg. pull | Seeds |" >/dev/null

for figure in figure_entropy figure_feature_maps figure_qualitative; do
  out=$(run "$figure")
  png="$out/$figure.png"
  [[ -s "$png" ]] || fail "$figure: $png missing"
  # A real picture: PNG signature and more than a few kilobytes.
  [[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] || fail "$figure: not a PNG"
  [[ $(stat -c %s "$png") -gt 5000 ]] || fail "$figure: suspiciously small PNG"
done
[[ $(wc -l <"$cache/tables/figure_entropy/figure_entropy_points.csv") -gt 6 ]] || fail "figure_entropy: CSV too short"
# The paper profile's Table 1 plans the paper's grid without data or training: 40 runs,
# each with its spec.
dry=$(paper_tables/table1 --profile=paper --data_root=/nonexistent --cache_dir="$cache" --dry_run 2>&1) ||
  fail "table1 --profile=paper --dry_run failed: $dry"
grep -qF 'table1: 40 runs' <<<"$dry" || fail "paper table1 --dry_run: not 40 runs: $dry"
for spec in cam_preresnet18_cub cam_preresnet18_cub_er rdap_se_resnet50_openimages_er; do
  grep -qF "spec $spec = baselines/specs/recipes/wsolevaluation.pbtxt + " <<<"$dry" ||
    fail "paper table1 --dry_run lacks $spec"
done
# The extension's dry run shows wsolevaluation's published CAM numbers beside its rows.
dry=$(paper_tables/table1_extension --profile=paper --cache_dir="$cache" --dry_run 2>&1) ||
  fail "table1_extension --profile=paper --dry_run failed: $dry"
[[ $(grep -c '      published ' <<<"$dry") -eq 6 ]] || fail "table1_extension --dry_run: not 6 published numbers: $dry"
grep -qF 'published MaxBoxAccV2 63.00 (Choe et al., CVPR 2020' <<<"$dry" ||
  fail "table1_extension --dry_run lacks ResNet50's published CUB number"
# --print_specs names what set each field: the recipe its learning rate, the grid's value
# the SPG branch width, the method fragment the method.
dry=$(paper_tables/table1_full --profile=paper --data_root=/nonexistent --cache_dir="$cache" \
  --dry_run --print_specs 2>&1) || fail "table1_full --dry_run --print_specs failed: $dry"
grep -qF 'optimizer.lr: 0.000232226172  # baselines/specs/recipes/resnet50_cub.pbtxt' <<<"$dry" ||
  fail "--print_specs: no lr line from the recipe: $dry"
grep -qF 'method.spg.branch_channels: 256  # the row'"'"'s set' <<<"$dry" ||
  fail "--print_specs: no SPG branch line from the grid"
grep -qF 'regularizer.entropy_kl_uniform.lambda: 0.0001  # wsol/regularizers/specs/er.pbtxt' <<<"$dry" ||
  fail "--print_specs: no lambda line from er.pbtxt"
# An unknown table name is refused with the names that exist.
set +e
unknown=$(paper_tables/table1 --table=table4 --cache_dir="$cache" 2>&1)
status=$?
set -e
[[ $status -eq 2 ]] || fail "--table=table4 exited $status, want 2: $unknown"
grep -qF 'unknown table "table4" for --profile=embedded; known: figure_entropy, ' <<<"$unknown" ||
  fail "--table=table4 did not list the known tables: $unknown"
echo "all tables and figures rendered"
