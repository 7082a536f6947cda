#!/usr/bin/env python3
"""One embedded training epoch in Python, beside the C++ trainer's, for a speed comparison.

The embedded CAM run's training (baselines/specs/cam.pbtxt) written with PyTorch on the
same LibTorch (Debian's python3-torch wraps libtorch 1.13), one thread:
  data       the FMNIST-Loc training split the C++ run generated (wsolevaluation metadata
             under --data), decoded once and kept, as the C++ loader does; each epoch a new
             order, and per image a resize to 54 px, a random 48-px crop and flip, ImageNet
             normalization; batches of 16, the last one short
  model      wsol/backbones/resnet.cc's PreResNet-18 at width 0.25 with the large feature
             map (layer3 and layer4 at stride 1), GAP + fc, 10 classes; random weights
             (the weights do not change the time of a step)
  loss       cross-entropy against one-hot targets, batch mean (CAM without ER)
  optimizer  SGD, Nesterov momentum 0.9, weight decay 1e-4; lr 0.03, and 0.3 for layer4,
             bn_final and fc (wsol/train/training_state.cc)

It prints each epoch's seconds and the median of all but the first. tools/bench/
compare_embedded_epoch.sh runs it and the C++ trainer in turn and prints both medians.

  /usr/bin/python3 tools/bench/python_embedded_epoch.py --data=DIR --epochs=6
"""

import argparse
import os
import statistics
import time

import cv2
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def scaled(channels, width):
  """wsol::backbones::ScaledChannels: llround(channels * width), at least 1."""
  return max(1, int(channels * width + 0.5))


class PreActBlock(nn.Module):
  """BN-ReLU-conv twice; a 1x1 projection of the pre-activated input when the shape changes."""

  def __init__(self, inplanes, planes, stride):
    super().__init__()
    self.bn1 = nn.BatchNorm2d(inplanes)
    self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
    self.bn2 = nn.BatchNorm2d(planes)
    self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
    self.shortcut = None
    if stride != 1 or inplanes != planes:
      self.shortcut = nn.Conv2d(inplanes, planes, 1, stride, 0, bias=False)

  def forward(self, x):
    pre = F.relu(self.bn1(x))
    identity = self.shortcut(pre) if self.shortcut is not None else x
    y = self.conv2(F.relu(self.bn2(self.conv1(pre))))
    return y + identity


class PreResNet18(nn.Module):
  """Stem conv-BN-ReLU-maxpool, four stages of two blocks, final BN-ReLU, GAP, fc."""

  def __init__(self, width, classes, large_feature_map=True):
    super().__init__()
    channels = scaled(64, width)
    self.conv1 = nn.Conv2d(3, channels, 7, 2, 3, bias=False)
    self.bn1 = nn.BatchNorm2d(channels)
    strides = [1, 2, 1 if large_feature_map else 2, 1]
    stages = []
    for stage, planes in enumerate([64, 128, 256, 512]):
      p = scaled(planes, width)
      blocks = []
      for b in range(2):
        blocks.append(PreActBlock(channels, p, strides[stage] if b == 0 else 1))
        channels = p
      stages.append(nn.Sequential(*blocks))
    self.layer1, self.layer2, self.layer3, self.layer4 = stages
    self.bn_final = nn.BatchNorm2d(channels)
    self.fc = nn.Linear(channels, classes)
    for m in self.modules():
      if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

  def forward(self, x):
    x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
    x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
    x = F.relu(self.bn_final(x))
    return self.fc(x.mean((2, 3)))


def read_split(data):
  """The training split: resized images (kept) and labels."""
  images, labels = [], []
  with open(os.path.join(data, "metadata", "train", "class_labels.txt")) as f:
    for line in f:
      image_id, label = line.strip().rsplit(",", 1)
      rgb = cv2.cvtColor(cv2.imread(os.path.join(data, image_id), cv2.IMREAD_COLOR),
                         cv2.COLOR_BGR2RGB)
      images.append(cv2.resize(rgb, (54, 54), interpolation=cv2.INTER_LINEAR))
      labels.append(int(label))
  return images, np.array(labels, dtype=np.int64)


def batches(images, labels, rng, batch_size=16, crop=48):
  """One epoch's batches: a new order, a random crop and flip per image, normalized."""
  order = rng.permutation(len(images))
  for start in range(0, len(order), batch_size):
    chosen = order[start:start + batch_size]
    out = np.empty((len(chosen), 3, crop, crop), dtype=np.float32)
    for k, i in enumerate(chosen):
      x, y = rng.integers(0, 54 - crop + 1, size=2)
      patch = images[i][y:y + crop, x:x + crop]
      if rng.random() < 0.5:
        patch = patch[:, ::-1]
      out[k] = ((patch.astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1)
    yield torch.from_numpy(out), torch.from_numpy(labels[chosen])


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--data", required=True, help="the FMNIST-Loc folder (metadata/, images/)")
  parser.add_argument("--epochs", type=int, default=6)
  args = parser.parse_args()
  torch.set_num_threads(1)
  torch.manual_seed(0)
  images, labels = read_split(args.data)
  model = PreResNet18(0.25, 10)
  fresh = [p for n, p in model.named_parameters() if n.startswith(("layer4.", "bn_final.", "fc."))]
  features = [p for n, p in model.named_parameters()
              if not n.startswith(("layer4.", "bn_final.", "fc."))]
  sgd = torch.optim.SGD([{"params": features, "lr": 0.03}, {"params": fresh, "lr": 0.3}],
                        lr=0.03, momentum=0.9, nesterov=True, weight_decay=1e-4)
  rng = np.random.default_rng(0)
  seconds = []
  for epoch in range(args.epochs):
    model.train()
    start = time.perf_counter()
    correct = 0
    for x, y in batches(images, labels, rng):
      sgd.zero_grad()
      logits = model(x)
      targets = F.one_hot(y, 10).to(logits.dtype)
      loss = -(targets * F.log_softmax(logits, 1)).sum(1).mean()
      loss.backward()
      sgd.step()
      correct += int((logits.argmax(1) == y).sum())
    seconds.append(time.perf_counter() - start)
    print(f"epoch {epoch + 1}: {seconds[-1]:.3f} s, train top-1 {100 * correct / len(images):.1f}%")
  print(f"median epoch (after the first): {statistics.median(seconds[1:]):.3f} s")


if __name__ == "__main__":
  main()
