#!/usr/bin/env bash
# Mutation check: proves, rather than asserts, that the tests catch the bugs that matter.
# Each mutant is a one-line change to a scratch copy of the tree (a sign flipped, a mean
# made a sum, the wrong class, an epoch off, ...); the tests named for it must fail. The
# check fails unless every mutant is killed, and a mutant that does not compile is an
# error of this list, not a kill.
#
#   tools/mutation_check.sh                # every mutant (about 25 minutes on 2 cores,
#                                          # plus a first build of the scratch copy)
#   tools/mutation_check.sh --list         # the mutants and their tests
#   tools/mutation_check.sh er_sign t_df   # some of them
#   bazel run //tools:mutation_check       # the same, from anywhere in the checkout
#
# The scratch copy and its Bazel output base live in ${WSOL_MUTATION_DIR:-~/.cache/
# wsol_mutation}: the first run builds everything once (about 20 minutes cold), later runs
# rebuild only the mutated file and what links it. The working tree is never touched.
set -uo pipefail

root="${BUILD_WORKSPACE_DIRECTORY:-$(cd "$(dirname "$0")/.." && pwd)}"
work="${WSOL_MUTATION_DIR:-${HOME}/.cache/wsol_mutation}"
tree="$work/tree"
output_base="$work/output_base"

names=() files=() befores=() afters=() tests=()
# mutant NAME FILE 'LINE AS IT IS' 'LINE MUTATED' 'TEST TARGETS'
mutant() {
  names+=("$1") files+=("$2") befores+=("$3") afters+=("$4") tests+=("$5")
}

mutant er_sign wsol/regularizers/distribution_terms.cc \
  'return UniformCrossEntropy(log_p) - LogNumClasses(log_p);' \
  'return LogNumClasses(log_p) - UniformCrossEntropy(log_p);' \
  '//wsol/regularizers:regularizers_test'
mutant er_sign_golden wsol/regularizers/distribution_terms.cc \
  'return UniformCrossEntropy(log_p) - LogNumClasses(log_p);' \
  'return LogNumClasses(log_p) - UniformCrossEntropy(log_p);' \
  '//paper_tables:golden_metrics_test'
mutant er_sum_over_classes wsol/regularizers/distribution_terms.cc \
  'at::Tensor UniformCrossEntropy(const at::Tensor& log_p) { return -log_p.mean(1); }' \
  'at::Tensor UniformCrossEntropy(const at::Tensor& log_p) { return -log_p.sum(1); }' \
  '//wsol/regularizers:regularizers_test'
mutant cam_predicted_class_golden wsol/methods/method.cc \
  'cam::ClassActivationMaps(out.features, backbone.ClassifierWeight(), classes);' \
  'cam::ClassActivationMaps(out.features, backbone.ClassifierWeight(), out.logits.argmax(1));' \
  '//paper_tables:golden_metrics_test'
mutant lr_one_epoch_late wsol/train/trainer.cc \
  'SetEpochLearningRate(*run.sgd, s.sgd, epoch);' \
  'SetEpochLearningRate(*run.sgd, s.sgd, epoch - 1);' \
  '//wsol/train:trainer_test'
mutant best_instead_of_last wsol/train/trainer.cc \
  'if (!s.score_last_epoch) {' \
  'if (s.score_last_epoch) {' \
  '//wsol/train:trainer_test'
mutant max_box_acc_v2_first_threshold wsol/metrics/box_accuracy.cc \
  'r.max_box_acc_mean = sum / static_cast<double>(r.max_box_acc.size());' \
  'r.max_box_acc_mean = r.max_box_acc.front();' \
  '//wsol/metrics:box_accuracy_test'
mutant cam_normalized_by_max_only wsol/cam/cam.cc \
  'at::Tensor normalized = ((flat - lo) / range).masked_fill_(degenerate, 0);' \
  'at::Tensor normalized = (flat / hi).masked_fill_(degenerate, 0);' \
  '//wsol/cam:cam_test'
mutant cutmix_half_targets baselines/cutmix_method.cc \
  'out.targets = (1.0 - out.pasted_fraction) * targets + out.pasted_fraction * mixed_from;' \
  'out.targets = 0.5 * targets + 0.5 * mixed_from;' \
  '//baselines:cutmix_method_test'
mutant adl_drop_mask_inverted baselines/adl_method.cc \
  'return (attention < peak * gamma).to(attention.scalar_type());' \
  'return (attention >= peak * gamma).to(attention.scalar_type());' \
  '//baselines:attention_drop_test'
mutant t_interval_n_degrees paper_tables/lib/seed_stats.cc \
  'StudentT975(d.summary.n - 1) * d.summary.std' \
  'StudentT975(d.summary.n) * d.summary.std' \
  '//paper_tables/lib:seed_stats_test'
mutant iou_without_inclusive_pixel wsol/metrics/iou.cc \
  'const int64_t area_a = (int64_t{a.x1} - a.x0 + 1) * (int64_t{a.y1} - a.y0 + 1);' \
  'const int64_t area_a = (int64_t{a.x1} - a.x0) * (int64_t{a.y1} - a.y0);' \
  '//wsol/metrics:iou_test'
mutant tune_chooses_worst_trial paper_tables/lib/tuning.cc \
  'if (best < 0 || score > best_score) {' \
  'if (best < 0 || score < best_score) {' \
  '//paper_tables/lib:tuning_test //paper_tables:tune_test'
mutant has_drop_rate_halved_golden baselines/has_method.cc \
  'for (int64_t c = 0; c < cols; ++c) access[b][r][c] = uniform(rng) < drop_rate;' \
  'for (int64_t c = 0; c < cols; ++c) access[b][r][c] = uniform(rng) < drop_rate * 0.5;' \
  '//paper_tables:method_goldens_test'

if [[ "${1:-}" == "--list" ]]; then
  for i in "${!names[@]}"; do
    printf '%-32s %s\n  - %s\n  + %s\n  tests: %s\n' "${names[$i]}" "${files[$i]}" \
      "${befores[$i]}" "${afters[$i]}" "${tests[$i]}"
  done
  exit 0
fi
if [[ "${1:-}" == -* ]]; then
  echo "usage: tools/mutation_check.sh [--list] [MUTANT...]" >&2
  exit 2
fi

selected=()
if [[ $# -eq 0 ]]; then
  selected=("${!names[@]}")
else
  for wanted in "$@"; do
    found=""
    for i in "${!names[@]}"; do [[ "${names[$i]}" == "$wanted" ]] && found=$i; done
    [[ -n "$found" ]] || { echo "unknown mutant \"$wanted\" (see --list)" >&2; exit 2; }
    selected+=("$found")
  done
fi

# The scratch copy: the working tree's files as they are now (committed or not).
echo "copying $root to $tree"
rm -rf "$tree"
mkdir -p "$tree" "$output_base"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  tar --null -T - -cf -) | tar -xf - -C "$tree"
bazel_in_tree() { (cd "$tree" && bazel --output_base="$output_base" "$@"); }

# Every test named must pass on the unmutated copy, or a "kill" would prove nothing.
all_tests=$(for i in "${selected[@]}"; do echo "${tests[$i]}"; done | tr ' ' '\n' | sort -u)
echo "unmutated: building and running $(wc -w <<<"$all_tests") test targets"
# shellcheck disable=SC2086
if ! bazel_in_tree test --test_output=errors $all_tests >"$work/unmutated.log" 2>&1; then
  tail -n 40 "$work/unmutated.log" >&2
  echo "mutation check: the tests fail without a mutation; see $work/unmutated.log" >&2
  exit 1
fi

killed=0 survived=() errors=()
start=$SECONDS
for i in "${selected[@]}"; do
  name=${names[$i]} file=${files[$i]}
  began=$SECONDS
  count=$(grep -cF -- "${befores[$i]}" "$tree/$file")
  if [[ $count -ne 1 ]]; then
    errors+=("$name: the line occurs $count times in $file (expected once)")
    echo "[$name] ERROR: the line to mutate occurs $count times in $file"
    continue
  fi
  cp "$tree/$file" "$work/pristine"
  BEFORE="${befores[$i]}" AFTER="${afters[$i]}" perl -0pi -e \
    's/\Q$ENV{BEFORE}\E/$ENV{AFTER}/' "$tree/$file"
  # shellcheck disable=SC2086
  bazel_in_tree test --test_output=summary ${tests[$i]} >"$work/$name.log" 2>&1
  status=$?
  cp "$work/pristine" "$tree/$file"
  case $status in
    3) killed=$((killed + 1)); verdict="killed" ;;
    0) survived+=("$name"); verdict="SURVIVED" ;;
    *) errors+=("$name: bazel exited $status (see $work/$name.log)"); verdict="ERROR (exit $status)" ;;
  esac
  echo "[$name] $verdict by ${tests[$i]} in $((SECONDS - began)) s"
done

echo
echo "mutation check: ${#selected[@]} mutants, $killed killed, ${#survived[@]} survived," \
  "${#errors[@]} errors, $((SECONDS - start)) s after the unmutated build"
for s in "${survived[@]}"; do echo "  survived: $s"; done
for e in "${errors[@]}"; do echo "  error: $e"; done
[[ $killed -eq ${#selected[@]} ]]
