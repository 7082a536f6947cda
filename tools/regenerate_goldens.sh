#!/usr/bin/env bash
# Re-records the golden metrics of paper_tables/goldens/ from deterministic tiny runs
# (see paper_tables/golden_metrics_test.cc). Run after a change that is meant to change
# numbers, look at the diff, and commit it with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
bazel run //paper_tables:golden_metrics_test -- --update_goldens
bazel run //paper_tables:method_goldens_test -- --update_goldens
git --no-pager diff --stat -- paper_tables/goldens
