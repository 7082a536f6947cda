// state_dict_io.h
//
// Reads and writes state dicts in the file format of Python's
// `torch.save(model.state_dict(), path)`, so torchvision and wsolevaluation checkpoints
// load in C++ and our weights load in Python (`torch.load(path)`).
//
//   wsol::backbones::StateDict state = wsol::backbones::ReadStateDict("resnet50.pth");
//   for (const auto& [name, tensor] : state) ...   // in file order, on the CPU
//   wsol::backbones::WriteStateDict(state, "copy.pth");
//
// Reading accepts both formats torch.save writes: the zip archive (the default since
// PyTorch 1.6) and the older "legacy" stream (torch.save(..., _use_new_zipfile_
// serialization=False), and torchvision's original model-zoo files such as
// inception_v3_google-1a9a5a14.pth). The pickle is decoded by a small reader of our own:
// LibTorch 1.13's torch::pickle_load turns the collections.OrderedDict that
// Module.state_dict() returns into None and then fails. Only what state dicts use is
// understood (containers, numbers, strings, tensors and their storages); anything else
// is an error naming it. A top-level dict holding a "state_dict" dict (a training
// checkpoint) yields that inner dict; non-tensor entries are dropped.
// Errors throw c10::Error with the path in the message. Modelling core: LibTorch only.
#ifndef WSOL_BACKBONES_STATE_DICT_IO_H_
#define WSOL_BACKBONES_STATE_DICT_IO_H_

#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

namespace wsol::backbones {

// Tensor names and values in file order.
using StateDict = std::vector<std::pair<std::string, at::Tensor>>;

// Reads a state dict written by torch.save (zip or legacy format) onto the CPU.
StateDict ReadStateDict(const std::string& path);

// Writes `state` in torch.save's zip format (torch::pickle_save of a Dict[str, Tensor]).
// The bytes WriteStateDict writes, for a caller that writes them itself (atomically).
std::vector<char> StateDictBytes(const StateDict& state);
void WriteStateDict(const StateDict& state, const std::string& path);

}  // namespace wsol::backbones

#endif  // WSOL_BACKBONES_STATE_DICT_IO_H_
