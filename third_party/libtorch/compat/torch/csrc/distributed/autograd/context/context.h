// Stand-in for a LibTorch header that Debian's libtorch-dev includes but does not ship:
// c10d's reducer.hpp (DistributedDataParallel's Reducer) includes it for two names of
// distributed autograd, which it uses only as a callback type and in a shared_ptr. The
// declarations below are those names as LibTorch 1.13 defines them; nothing of distributed
// autograd is called. Only added to the include path when the real header is missing
// (third_party/libtorch/libtorch.bzl).
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
