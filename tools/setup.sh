#!/usr/bin/env bash
# Installs every system dependency of wsol_repro from Debian packages (bookworm).
# Idempotent: when everything is present it only checks, in well under five seconds.
#
#   tools/setup.sh          the build, the tests and the embedded data set
#   tools/setup.sh --bench  also Python's torch/torchvision/OpenCV/NumPy (and what
#                           wsolevaluation's main.py needs), for side-by-side benchmarks
set -euo pipefail

packages=(
  bazel-bootstrap        # Bazel 4.2
  g++
  pkg-config             # third_party/repositories.bzl asks it for Abseil's link flags
  libtorch-dev           # LibTorch 1.13, CPU
  libgloo-dev            # Gloo headers of c10d's CPU process group (data-parallel training)
  libabsl-dev
  libprotobuf-dev
  protobuf-compiler
  libopencv-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  zlib1g-dev
  clang-format           # tools/check_format.sh (the house style, .clang-format)
  dataset-fashion-mnist  # the embedded FMNIST-Loc data set is built from it
)
if [[ "${1:-}" == "--bench" ]]; then
  # python3-munch and python3-pil: what wsolevaluation's main.py imports beyond those
  # (tools/bench/compare_wsolevaluation.sh)
  packages+=(python3-torch python3-torchvision python3-opencv python3-numpy python3-munch
    python3-pil)
elif [[ $# -gt 0 ]]; then
  echo "usage: tools/setup.sh [--bench]" >&2
  exit 2
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
  "${missing[@]}"
echo "setup: done"
