"""Writes the torch.save fixtures that state_dict_io_test and weight_import_test read.

A torchvision-style ResNet-50 stem and classifier at width 1/16 (conv1 3->4 7x7, bn1 of
4 channels, fc 128->10), saved exactly as torchvision checkpoints are:
torch.save(model.state_dict(), path), i.e. an OrderedDict with _metadata, once in the
zip format (PyTorch >= 1.6 default) and once in the legacy format of torchvision's
original model-zoo files. Tensor i holds arange(numel) / 64 + i, so values are exact.

Regenerate (Debian: apt-get install python3-torch) from the repository root:
    python3 wsol/backbones/testdata/make_torchvision_stem.py wsol/backbones/testdata
"""
import os
import sys

import torch
from torch import nn


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(128, 10)


def main(out_dir):
    model = Stem()
    with torch.no_grad():
        for i, tensor in enumerate(model.state_dict().values()):
            if tensor.is_floating_point():
                tensor.copy_(torch.arange(tensor.numel()).reshape(tensor.shape) / 64 + i)
            else:
                tensor.fill_(7)  # bn1.num_batches_tracked
    state = model.state_dict()
    torch.save(state, os.path.join(out_dir, "torchvision_stem_zip.pth"))
    torch.save(state, os.path.join(out_dir, "torchvision_stem_legacy.pth"),
               _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    main(sys.argv[1])
