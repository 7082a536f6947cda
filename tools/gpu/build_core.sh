#!/usr/bin/env bash
# Compiles the modelling core (LibTorch + the C++ standard library only; DESIGN.md,
# "Dependency discipline") and tools/gpu/gpu_check.cc with the host C++ compiler against a
# LibTorch tree: for GPU machines that have a CUDA LibTorch but no Bazel.
#
#   LIBTORCH_HOME=/path/to/libtorch tools/gpu/build_core.sh [BUILD_DIR]
#   BUILD_DIR/gpu_check --help
#   tools/gpu/build_core.sh --list     # print the core sources, check their includes, exit
#
# BUILD_DIR defaults to build_gpu/ at the repository root (gitignored). It receives
# gpu_check, libwsol_core.a (the core, for linking other programs) and the objects; a rerun
# recompiles only what changed (a generated Makefile, run with make -j).
#
# Environment:
#   LIBTORCH_HOME       a LibTorch tree with include/ and lib/: the unpacked LibTorch zip,
#                       or a pip torch package's torch/ folder, i.e. the output of
#                       python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))'
#   LIBTORCH_INCLUDE    instead of (or over) $LIBTORCH_HOME/include; the C++ API headers are
#                       read from $LIBTORCH_INCLUDE/torch/csrc/api/include
#   LIBTORCH_LIB        instead of (or over) $LIBTORCH_HOME/lib
#                       (Debian's libtorch-dev: LIBTORCH_INCLUDE=/usr/include
#                        LIBTORCH_LIB=/usr/lib/x86_64-linux-gnu)
#   LIBTORCH_CXX11_ABI  0 or 1 to skip the ABI detection
#   CXX (default g++), CXXFLAGS and LDFLAGS (appended), JOBS (default: the core count)
#
# The ABI (-D_GLIBCXX_USE_CXX11_ABI) is read from the tree's TorchConfig.cmake, else found
# by linking a probe against libc10 both ways. The core uses no other C++ library, so it
# builds under either ABI. libtorch_cuda and libc10_cuda are linked (with --no-as-needed,
# so their kernels register) when lib/ has them.
#
# Which sources are the core: every .cc in CORE_DIRS, minus tests, benchmarks, mains, CLIs
# and proto builders (EXCLUDE_PATTERNS) and the named EDGE_FILES. A new core file in those
# folders is picked up without editing this script. Before compiling, every core source
# and every repository header it reaches is checked: quoted includes must stay inside
# CORE_DIRS, and nothing may include Abseil, Protobuf, OpenCV, GoogleTest or Benchmark.
# A file that breaks this is named; either drop the dependency or list it in EDGE_FILES.
set -euo pipefail

CORE_DIRS=(wsol/backbones wsol/regularizers wsol/cam wsol/methods baselines wsol/train)
EXCLUDE_PATTERNS=('*_test.cc' '*_testing.cc' '*_benchmark.cc' '*_main.cc' '*_cli.cc' '*_builder.cc')
# Files in CORE_DIRS that are edge code although their names do not say so.
EDGE_FILES=(wsol/train/trainer.cc wsol/train/run_folder.cc wsol/train/run_builder.cc
            wsol/train/explain.cc wsol/train/distributed.cc wsol/train/launcher.cc)
# Standard-library-only headers outside CORE_DIRS that the core may include.
CORE_HEADERS=(wsol/util/name_table.h)
FORBIDDEN_INCLUDES='^(absl|google|opencv2|gtest|gmock|benchmark)/'
PROGRAM=tools/gpu/gpu_check.cc

die() {
  echo "build_core.sh: error: $*" >&2
  exit 1
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

list_only=0
build_dir=""
for arg in "$@"; do
  case "$arg" in
    --list) list_only=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $arg (try --help)" ;;
    *) [[ -z "$build_dir" ]] || die "more than one BUILD_DIR given"; build_dir="$arg" ;;
  esac
done

# --- The core sources --------------------------------------------------------------------
is_excluded() {
  local file="$1" pattern
  for pattern in "${EXCLUDE_PATTERNS[@]}"; do
    # shellcheck disable=SC2053
    [[ "$(basename "$file")" == $pattern ]] && return 0
  done
  for pattern in "${EDGE_FILES[@]}"; do [[ "$file" == "$pattern" ]] && return 0; done
  return 1
}

in_core_dir() {
  local dir
  for dir in "${CORE_DIRS[@]}"; do [[ "$(dirname "$1")" == "$dir" ]] && return 0; done
  return 1
}

SOURCES=()
for dir in "${CORE_DIRS[@]}"; do
  [[ -d "$dir" ]] || die "core folder $dir/ is missing under $ROOT"
  for file in "$dir"/*.cc; do
    [[ -e "$file" ]] || continue
    is_excluded "$file" || SOURCES+=("$file")
  done
done
[[ ${#SOURCES[@]} -gt 0 ]] || die "no core sources found under $ROOT"

# Walks the includes of the core sources (and of the repository headers they reach).
declare -A SEEN=()
VIOLATIONS=()
check_includes() {
  local file="$1" line header
  [[ -n "${SEEN[$file]:-}" ]] && return 0
  SEEN[$file]=1
  while IFS= read -r line; do
    if [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      header="${BASH_REMATCH[1]}"
      if [[ "$header" =~ $FORBIDDEN_INCLUDES || "$header" == *.pb.h ]]; then
        VIOLATIONS+=("$file includes \"$header\"")
      elif [[ ! -f "$header" ]]; then
        VIOLATIONS+=("$file includes \"$header\", which is not a file of the repository")
      elif [[ " ${CORE_HEADERS[*]} " == *" $header "* ]]; then
        check_includes "$header"
      elif ! in_core_dir "$header"; then
        VIOLATIONS+=("$file includes \"$header\", which is outside the core folders")
      else
        check_includes "$header"
      fi
    elif [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
      header="${BASH_REMATCH[1]}"
      if [[ "$header" =~ $FORBIDDEN_INCLUDES || "$header" == *.pb.h ]]; then
        VIOLATIONS+=("$file includes <$header>")
      fi
    fi
  done < "$file"
}
# gpu_check.cc is compiled here too, so it is held to the same rule.
for file in "${SOURCES[@]}" "$PROGRAM"; do check_includes "$file"; done
if [[ ${#VIOLATIONS[@]} -gt 0 ]]; then
  {
    echo "build_core.sh: the modelling core must use LibTorch and the standard library only:"
    printf '  %s\n' "${VIOLATIONS[@]}"
    echo "Drop the dependency, or if the file is edge code add it to EDGE_FILES in $0."
  } >&2
  exit 1
fi

if [[ $list_only -eq 1 ]]; then
  printf '%s\n' "${SOURCES[@]}"
  exit 0
fi

# --- LibTorch ----------------------------------------------------------------------------
if [[ -z "${LIBTORCH_HOME:-}" && ( -z "${LIBTORCH_INCLUDE:-}" || -z "${LIBTORCH_LIB:-}" ) ]]; then
  die "LIBTORCH_HOME is not set. Point it at a LibTorch tree with include/ and lib/, e.g.
  LIBTORCH_HOME=\$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))') $0
(or set LIBTORCH_INCLUDE and LIBTORCH_LIB; --help says more)"
fi
if [[ -n "${LIBTORCH_HOME:-}" && ! -d "$LIBTORCH_HOME" ]]; then
  die "LIBTORCH_HOME=$LIBTORCH_HOME is not a folder"
fi
TORCH_INCLUDE="${LIBTORCH_INCLUDE:-$LIBTORCH_HOME/include}"
TORCH_LIB="${LIBTORCH_LIB:-$LIBTORCH_HOME/lib}"
TORCH_API_INCLUDE="$TORCH_INCLUDE/torch/csrc/api/include"
[[ -f "$TORCH_INCLUDE/ATen/ATen.h" ]] ||
  die "$TORCH_INCLUDE has no ATen/ATen.h: LIBTORCH_HOME (or LIBTORCH_INCLUDE) is not a LibTorch tree"
[[ -f "$TORCH_API_INCLUDE/torch/torch.h" ]] ||
  die "$TORCH_API_INCLUDE has no torch/torch.h: this LibTorch lacks the C++ API headers"
for lib in torch torch_cpu c10; do
  [[ -e "$TORCH_LIB/lib$lib.so" ]] ||
    die "$TORCH_LIB has no lib$lib.so: LIBTORCH_HOME (or LIBTORCH_LIB) is not a LibTorch tree"
done

CXX="${CXX:-g++}"
command -v "$CXX" > /dev/null || die "compiler $CXX not found (set CXX)"
command -v make > /dev/null || die "make not found (apt-get install make)"
JOBS="${JOBS:-$(nproc 2> /dev/null || echo 2)}"

# An include folder that is a compiler default (Debian's /usr/include) must not be passed
# with -isystem: that reorders it before libstdc++'s own headers and breaks #include_next.
include_flag() {
  case "$(readlink -f "$1")" in
    /usr/include|/usr/local/include) ;;
    *) printf -- '-isystem %s' "$1" ;;
  esac
}
INCLUDE_FLAGS="$(include_flag "$TORCH_API_INCLUDE") $(include_flag "$TORCH_INCLUDE")"

# --- ABI ---------------------------------------------------------------------------------
detect_abi() {
  local config value probe_dir abi
  if [[ -n "${LIBTORCH_CXX11_ABI:-}" ]]; then
    [[ "$LIBTORCH_CXX11_ABI" =~ ^[01]$ ]] || die "LIBTORCH_CXX11_ABI must be 0 or 1"
    echo "$LIBTORCH_CXX11_ABI from LIBTORCH_CXX11_ABI"
    return
  fi
  for config in "${LIBTORCH_HOME:-/nonexistent}/share/cmake/Torch/TorchConfig.cmake" \
                "$TORCH_LIB/cmake/Torch/TorchConfig.cmake"; do
    if [[ -f "$config" ]]; then
      value="$(grep -o '_GLIBCXX_USE_CXX11_ABI=[01]' "$config" | head -n 1 | cut -d= -f2)"
      if [[ -n "$value" ]]; then
        echo "$value from $config"
        return
      fi
    fi
  done
  # No CMake config: link a call whose symbol spells std::string in its arguments.
  probe_dir="$(mktemp -d)"
  cat > "$probe_dir/probe.cc" << 'EOF'
#include <string>
#include <c10/util/Exception.h>
int main(int argc, char**) {
  if (argc > 99) c10::detail::torchCheckFail("f", "f", 1, std::string("m"));
  return 0;
}
EOF
  for abi in 1 0; do
    # shellcheck disable=SC2086
    if "$CXX" -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=$abi $INCLUDE_FLAGS "$probe_dir/probe.cc" \
        -o "$probe_dir/probe" -L"$TORCH_LIB" -lc10 > /dev/null 2>&1; then
      rm -rf "$probe_dir"
      echo "$abi from a link probe against libc10"
      return
    fi
  done
  rm -rf "$probe_dir"
  die "could not tell the C++ ABI of $TORCH_LIB/libc10.so (a probe linked under neither value); set LIBTORCH_CXX11_ABI=0 or 1"
}
abi_line="$(detect_abi)"
ABI="${abi_line%% *}"

TORCH_LIBS=(torch torch_cpu c10)
cuda="no"
if [[ -e "$TORCH_LIB/libtorch_cuda.so" ]]; then
  cuda="yes"
  TORCH_LIBS+=(torch_cuda c10_cuda)
  # LibTorch 1.9 to 1.12 may split the CUDA library in two.
  for lib in torch_cuda_cu torch_cuda_cpp; do
    [[ -e "$TORCH_LIB/lib$lib.so" ]] && TORCH_LIBS+=("$lib")
  done
fi

# --- Build -------------------------------------------------------------------------------
BUILD_DIR="${build_dir:-$ROOT/build_gpu}"
mkdir -p "$BUILD_DIR"
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"
for path in "$ROOT" "$BUILD_DIR" "$TORCH_INCLUDE" "$TORCH_LIB"; do
  [[ "$path" != *[[:space:]]* ]] || die "path with white space not supported: $path"
done

echo "LibTorch:  include $TORCH_INCLUDE, lib $TORCH_LIB"
echo "ABI:       _GLIBCXX_USE_CXX11_ABI=$abi_line"
echo "CUDA libs: $cuda"
echo "Sources:   ${#SOURCES[@]} core files + $PROGRAM -> $BUILD_DIR (make -j$JOBS)"

objects=()
rules=""
for src in "${SOURCES[@]}" "$PROGRAM"; do
  obj="obj/${src%.cc}.o"
  objects+=("$obj")
  rules+="$obj: $ROOT/$src"$'\n\t$(compile)\n'
done
core_objects="${objects[*]:0:${#SOURCES[@]}}"
libs=""
for lib in "${TORCH_LIBS[@]}"; do libs+=" -l$lib"; done

cat > "$BUILD_DIR/Makefile.new" << EOF
# Generated by tools/gpu/build_core.sh; rerun the script rather than editing this file.
CXX := $CXX
CXXFLAGS := -std=c++17 -O2 -pthread -D_GLIBCXX_USE_CXX11_ABI=$ABI -Wall -Wno-deprecated-declarations \\
	-Wno-unused-variable -I$ROOT $INCLUDE_FLAGS ${CXXFLAGS:-}
LDFLAGS := -pthread -L$TORCH_LIB -Wl,-rpath,$TORCH_LIB ${LDFLAGS:-}
LIBS := -Wl,--no-as-needed$libs -Wl,--as-needed

all: gpu_check libwsol_core.a

gpu_check: ${objects[*]}
	\$(CXX) -o \$@ \$^ \$(LDFLAGS) \$(LIBS)

libwsol_core.a: $core_objects
	rm -f \$@ && ar rcs \$@ \$^

define compile
@mkdir -p \$(dir \$@)
@echo "  CXX \$<"
@\$(CXX) \$(CXXFLAGS) -MMD -MP -c \$< -o \$@
endef

$rules
-include \$(shell find obj -name '*.d' 2> /dev/null)
EOF
# A changed configuration (another LibTorch, ABI or flags) rebuilds everything.
if ! cmp -s "$BUILD_DIR/Makefile.new" "$BUILD_DIR/Makefile"; then
  rm -rf "$BUILD_DIR/obj" "$BUILD_DIR/gpu_check" "$BUILD_DIR/libwsol_core.a"
  mv "$BUILD_DIR/Makefile.new" "$BUILD_DIR/Makefile"
else
  rm -f "$BUILD_DIR/Makefile.new"
fi
make -C "$BUILD_DIR" --no-print-directory -j"$JOBS"
echo "Built $BUILD_DIR/gpu_check (run it with --help) and $BUILD_DIR/libwsol_core.a"
