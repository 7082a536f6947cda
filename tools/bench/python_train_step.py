#!/usr/bin/env python3
"""The training step of //wsol/train:train_step_cli, driven from Python, for a speed comparison.

Same model, batch, input size, thread count, optimizer and loss as the C++ binary, on the
same LibTorch (Debian's python3-torch wraps libtorch 1.13):
  model      ResNet50 in wsol/backbones/resnet.cc's layout (torchvision's Bottleneck
             ResNet50 with layer4 at stride 1, every channel count times --width), GAP + fc
  loss       CE(targets, log_softmax) + lambda * KL(u || p), both batch means
             (wsol/regularizers/entropy_kl_uniform.cc)
  optimizer  SGD, momentum 0.9, Nesterov, weight decay 1e-4; lr 0.01 for the trunk and
             0.1 for layer4 + fc (wsol/train/training_state.cc, MakeSgd's defaults)
  data       one fixed standard-normal batch with one-hot targets, reused every step

  /usr/bin/python3 tools/bench/python_train_step.py --pixels=64 --width=0.25 --batch=32
  bazel run //wsol/train:train_step_cli -- --pixels=64 --width=0.25 --batch=32

Both print the same line: "images/s <x> (<steps> steps after <warmup> warm-up)".
torchvision is not needed (Debian has no python3-torchvision); the model is written here.
"""

import argparse
import math
import time

import torch
from torch import nn
import torch.nn.functional as F


def scaled(channels, width):
  """wsol::backbones::ScaledChannels: llround(channels * width), at least 1."""
  return max(1, int(math.floor(channels * width + 0.5)))


class Bottleneck(nn.Module):
  """torchvision's Bottleneck (stride on the 3x3 conv)."""

  def __init__(self, inplanes, planes, stride):
    super().__init__()
    out = planes * 4
    self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
    self.bn1 = nn.BatchNorm2d(planes)
    self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
    self.bn2 = nn.BatchNorm2d(planes)
    self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
    self.bn3 = nn.BatchNorm2d(out)
    self.downsample = None
    if stride != 1 or inplanes != out:
      self.downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride=stride, bias=False),
                                      nn.BatchNorm2d(out))

  def forward(self, x):
    y = F.relu(self.bn1(self.conv1(x)))
    y = F.relu(self.bn2(self.conv2(y)))
    y = self.bn3(self.conv3(y))
    return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet50(nn.Module):
  """wsol/backbones/resnet.cc's ResNet50: strides 1, 2, 2, 1 (layer4 keeps the resolution)."""

  def __init__(self, num_classes, width):
    super().__init__()
    channels = scaled(64, width)
    self.conv1 = nn.Conv2d(3, channels, 7, stride=2, padding=3, bias=False)
    self.bn1 = nn.BatchNorm2d(channels)
    for stage, (planes, depth, stride) in enumerate(
        zip((64, 128, 256, 512), (3, 4, 6, 3), (1, 2, 2, 1))):
      blocks = []
      p = scaled(planes, width)
      for b in range(depth):
        blocks.append(Bottleneck(channels, p, stride if b == 0 else 1))
        channels = p * 4
      setattr(self, "layer%d" % (stage + 1), nn.Sequential(*blocks))
    self.fc = nn.Linear(channels, num_classes)
    for m in self.modules():
      if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
      elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)

  def forward(self, images):
    x = F.max_pool2d(F.relu(self.bn1(self.conv1(images))), 3, 2, 1)
    stages = [x]
    for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
      x = layer(x)
      stages.append(x)
    return self.fc(x.mean((2, 3))), x, stages


def er_loss(logits, targets, lam):
  """CE + lam * KL(u || p) with KL(u || p) = -mean_c log p_c - log C."""
  log_p = F.log_softmax(logits, 1)
  classification = (-(targets * log_p).sum(1)).mean()
  regularization = (lam * (-log_p.mean(1) - math.log(log_p.size(1)))).mean()
  return classification + regularization


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--backbone", default="resnet50", choices=["resnet50"])
  parser.add_argument("--pixels", type=int, default=64)
  parser.add_argument("--width", type=float, default=0.25)
  parser.add_argument("--batch", type=int, default=32)
  parser.add_argument("--num_classes", type=int, default=10)
  parser.add_argument("--lambda", dest="lam", type=float, default=1e-4)
  parser.add_argument("--threads", type=int, default=2)
  parser.add_argument("--warmup", type=int, default=2)
  parser.add_argument("--steps", type=int, default=20)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--device", default="cpu", help="cpu or cuda")
  args = parser.parse_args()
  device = torch.device(args.device)

  def sync():
    if device.type == "cuda":
      torch.cuda.synchronize()

  torch.set_num_threads(args.threads)
  torch.manual_seed(args.seed)
  model = ResNet50(args.num_classes, args.width).to(device)
  model.train()
  fresh = [p for n, p in model.named_parameters() if n.startswith(("layer4.", "fc."))]
  trunk = [p for n, p in model.named_parameters() if not n.startswith(("layer4.", "fc."))]
  sgd = torch.optim.SGD([{"params": trunk, "lr": 0.01}, {"params": fresh, "lr": 0.1}],
                        lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)
  images = torch.randn(args.batch, 3, args.pixels, args.pixels).to(device)
  targets = F.one_hot(torch.randint(args.num_classes, (args.batch,)),
                      args.num_classes).float().to(device)

  def step():
    sgd.zero_grad()
    logits, _, _ = model(images)
    loss = er_loss(logits, targets, args.lam)
    loss.backward()
    sgd.step()
    return loss

  for _ in range(args.warmup):
    step()
  sync()
  start = time.perf_counter()
  for _ in range(args.steps):
    loss = step()
  sync()
  seconds = time.perf_counter() - start
  parameters = sum(p.numel() for p in model.parameters())
  print("%s %d px width %g batch %d threads %d on %s: %d parameters, loss %.4f" %
        (args.backbone, args.pixels, args.width, args.batch, torch.get_num_threads(),
         device, parameters, loss.item()))
  print("images/s %.2f (%d steps after %d warm-up)" %
        (args.steps * args.batch / seconds, args.steps, args.warmup))


if __name__ == "__main__":
  main()
