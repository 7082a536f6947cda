#!/bin/bash
# //tools/gpu:gpu_check on narrow backbones at a small size: flags, exit codes, the
# comparison catching a difference (--perturb), and the CPU path (--allow_cpu). Where the
# LibTorch has CUDA and a GPU is visible, the same runs compare CUDA with the CPU.
set -uo pipefail
source tools/testing/test_helpers.sh

tool=tools/gpu/gpu_check
small=(--allow_cpu --threads=2 --backbones=resnet50,vgg16 --widths=0.125 --num_classes=5
       --check_pixels=32 --check_batch=2 --pixels=32 --width=0.125 --batch=2 --warmup=0
       --steps=1)

run() {  # run EXPECTED_STATUS ARGS...: gpu_check ARGS; sets $output
  run_status "$1" "$tool" "${@:2}"
}

run 0 --help
expect_line "$output" "--allow_cpu"
run 2 --no_such_flag
expect_line "$output" "unknown flag --no_such_flag"
run 2 --batch=0
expect_line "$output" "--batch=0: expected an integer >= 1"
run 2 "${small[@]}" --backbones=resnet51
expect_line "$output" 'unknown backbone "resnet51"; valid backbones: resnet50, vgg16'

run 0 "${small[@]}"
expect_line "$output" "resnet50        0.125"
expect_line "$output" "vgg16           0.125"
expect_line "$output" "train img/s"
expect_line "$output" "gpu_check: all checks passed"
if grep -qF "NO CUDA" <<<"$output"; then
  expect_line "$output" "cpu vs cpu"
  # Without --allow_cpu a machine without CUDA is an error, not a silent CPU run.
  run 2 "${small[@]:1}"
  expect_line "$output" "CUDA is not available"
fi

# Weights 1% off on the checked side: the loss and gradient errors must exceed 1e-3.
run 1 "${small[@]}" --perturb=0.01 --steps=0
expect_line "$output" "FAIL"
expect_line "$output" "gpu_check: FAILED"
finish
