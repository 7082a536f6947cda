#!/bin/sh
# Runs a Google Benchmark binary ($1) with a tiny minimum time: it must start, run every
# benchmark without an error and exit 0. Benchmark 1.7.1 takes --benchmark_min_time in
# plain seconds.
set -eu
out=$("$1" --benchmark_min_time=0.001 2>&1)
echo "$out"
if echo "$out" | grep -q "ERROR OCCURRED"; then
  echo "a benchmark reported an error" >&2
  exit 1
fi
