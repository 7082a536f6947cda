#!/bin/bash
# tools/gpu/build_core.sh under Bazel, from the sources in the runfiles.
#   sources: the discovered core list, and the include check refusing a core file that
#            includes Abseil (in a scratch copy of the tree)
#   build:   the whole build with the host compiler and a CPU run of its gpu_check
#            (LIBTORCH_HOME if the test environment has it, else Debian's libtorch-dev)
set -uo pipefail
source tools/testing/test_helpers.sh

mode="${1:?usage: build_core_test.sh sources|build}"
script=tools/gpu/build_core.sh

case "$mode" in
  sources)
    output=$("$script" --list 2>&1) || fail "--list exited $?: $output"
    for core in wsol/backbones/resnet.cc wsol/backbones/backbone_registry.cc \
                wsol/regularizers/entropy_kl_uniform.cc wsol/regularizers/regularizer.cc \
                wsol/cam/cam.cc wsol/methods/method.cc baselines/spg_method.cc \
                wsol/train/training_state.cc wsol/train/train_step.cc; do
      expect_whole_line "$output" "$core"
    done
    for edge in wsol/regularizers/regularizer_builder.cc baselines/method_builder.cc \
                wsol/backbones/backbone_builder.cc wsol/backbones/backbones_test.cc \
                wsol/train/train_step_benchmark.cc wsol/train/train_step_main.cc \
                wsol/train/train_main.cc wsol/train/trainer.cc wsol/train/run_builder.cc; do
      refuse_whole_line "$output" "$edge"
    done

    # A scratch tree with one core file that reaches Abseil through a header.
    scratch="$TEST_TMPDIR/tree"
    mkdir -p "$scratch"
    cp -rL tools wsol baselines "$scratch/" 2> /dev/null
    chmod -R u+w "$scratch"
    echo '#include "absl/strings/str_cat.h"' > "$scratch/wsol/cam/leaky.h"
    echo '#include "wsol/cam/leaky.h"' > "$scratch/wsol/cam/leaky.cc"
    output=$("$scratch/$script" --list 2>&1)
    status=$?
    [[ $status -eq 1 ]] || fail "--list with a leaky core file exited $status, expected 1: $output"
    grep -qF 'wsol/cam/leaky.h includes "absl/strings/str_cat.h"' <<<"$output" ||
      fail "the include check did not name the leaky header: $output"
    ;;
  build)
    if [[ -z "${LIBTORCH_HOME:-}" ]]; then
      export LIBTORCH_INCLUDE=/usr/include LIBTORCH_LIB=/usr/lib/x86_64-linux-gnu
    fi
    build="$TEST_TMPDIR/build_gpu"
    JOBS="${JOBS:-2}" "$script" "$build" || fail "build_core.sh exited $?"
    output=$("$build/gpu_check" --allow_cpu --threads=2 --backbones=resnet50,preresnet18 \
      --widths=0.125 --num_classes=5 --check_pixels=32 --check_batch=2 --pixels=32 \
      --width=0.125 --batch=2 --warmup=0 --steps=1 2>&1) || fail "gpu_check exited $?: $output"
    grep -qF "gpu_check: all checks passed" <<<"$output" || fail "gpu_check output: $output"
    [[ -s "$build/libwsol_core.a" ]] || fail "no libwsol_core.a"
    ;;
  *) fail "unknown mode $mode" ;;
esac
finish
