"""Records an independent reference forward of ResNet-50 for reference_forward_test.

The reference is torchvision's own resnet50 (torchvision.models.resnet50, the
definition the pretrained ImageNet checkpoints belong to), changed only as
wsolevaluation's ResNet50 for WSOL is (and as wsol/backbones/resnet.h documents):
  * layer4 keeps stride 1: layer4.0.conv2 and layer4.0.downsample.0 get stride 1 (a
    plain stride change, no dilation; this is not torchvision's
    replace_stride_with_dilation), so the CAM is 1/16 of the input;
  * with large_feature_map, layer3.0.conv2 and layer3.0.downsample.0 get stride 1 too
    (CAM 1/8 of the input).
Everything else (stem, Bottleneck with the stride on the 3x3 conv, BatchNorm eps 1e-5,
average pool, fc) is torchvision's code as shipped.

Weights come from no file: every floating-point state-dict entry, numbered i = 0, 1, ...
in state-dict order (num_batches_tracked, an integer buffer that eval mode never reads,
is skipped and not numbered), is filled from u[k] = sin(0.37 * k + 1.3 * i) over its
flat element index k, reshaped to the entry's shape:
  weights with 2 or more dims (conv, fc):  sqrt(4 / fan_in) * u   (fan_in = numel / size(0))
  BatchNorm weight and bias (1-D):         weight 0.5 + 0.1 * u, bias 0.1 * u
  fc.bias:                                 0.1 * u
  running_mean:                            0.1 * u
  running_var:                             1 + 0.25 * u            (in [0.75, 1.25])
The input is a [2, 3, 64, 64] image x[n] = sin(0.011 * n) + 0.5 * cos(0.23 * n + 0.7)
over its flat index n. Everything is float64 and the model is in eval() mode.

The output file lists, per configuration, every state-dict entry's name and shape (so the
C++ side checks it fills the same tensors in the same order), the logits in full, and
for each stage output (stem after max pooling, layer1..layer4; layer4's output is the
feature map CAM is read from) its shape, sum, sum of squares and a few elements.

Regenerate (Debian: apt-get install python3-torchvision) from the repository root:
    /usr/bin/python3 wsol/backbones/testdata/make_reference_forward.py \
        > wsol/backbones/testdata/reference_forward.txt
"""
import math
import sys

import torch
import torchvision

NUM_CLASSES = 10
INPUT_SHAPE = (2, 3, 64, 64)
# Flat indices (into the stage output) of the elements recorded besides the sums.
ELEMENT_FRACTIONS = (0.0, 0.137, 0.291, 0.5, 0.618, 0.777, 0.913)


def formula_values(i, numel):
    k = torch.arange(numel, dtype=torch.float64)
    return torch.sin(k * 0.37 + 1.3 * i)


def fill_formula_weights(model):
    """Fills every floating-point state-dict entry; returns (name, shape) in order."""
    entries = []
    i = 0
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue  # num_batches_tracked
            u = formula_values(i, tensor.numel()).reshape(tensor.shape)
            if tensor.dim() >= 2:
                fan_in = tensor.numel() // tensor.shape[0]
                value = math.sqrt(4.0 / fan_in) * u
            elif name.endswith("running_var"):
                value = 1.0 + 0.25 * u
            elif name.endswith("running_mean") or name.endswith("bias"):
                value = 0.1 * u
            else:  # BatchNorm weight
                value = 0.5 + 0.1 * u
            tensor.copy_(value)  # state_dict() tensors share storage with the model
            entries.append((name, tuple(tensor.shape)))
            i += 1
    return entries


def formula_input():
    n = torch.arange(math.prod(INPUT_SHAPE), dtype=torch.float64)
    return (torch.sin(n * 0.011) + 0.5 * torch.cos(n * 0.23 + 0.7)).reshape(INPUT_SHAPE)


def wsol_resnet50(large_feature_map):
    model = torchvision.models.resnet50(weights=None, num_classes=NUM_CLASSES)
    # wsolevaluation's change: layer4 (and with large_feature_map layer3) not strided.
    stages = [model.layer4] + ([model.layer3] if large_feature_map else [])
    for layer in stages:
        layer[0].conv2.stride = (1, 1)
        layer[0].downsample[0].stride = (1, 1)
    return model.double().eval()


def fmt(x):
    return repr(float(x))


def record(large_feature_map, out):
    model = wsol_resnet50(large_feature_map)
    entries = fill_formula_weights(model)
    x = formula_input()
    with torch.no_grad():
        logits = model(x)  # torchvision's own forward
        y = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        stages = [y]
        for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
            y = layer(y)
            stages.append(y)
        # The stage-by-stage pass must give torchvision's logits back.
        again = model.fc(torch.flatten(model.avgpool(y), 1))
        assert torch.equal(again, logits), "stage-by-stage pass disagrees with forward"

    print(f"config resnet50 num_classes={NUM_CLASSES} width_multiplier=1 "
          f"large_feature_map={int(large_feature_map)}", file=out)
    for name, shape in entries:
        print("param", name, *shape, file=out)
    print("logits", *logits.shape, *[fmt(v) for v in logits.flatten()], file=out)
    for s, t in enumerate(stages):
        print("stage", s, "shape", *t.shape, file=out)
        print("stage", s, "sum", fmt(t.sum()), file=out)
        print("stage", s, "sum_squares", fmt((t * t).sum()), file=out)
        flat = t.flatten()
        for f in ELEMENT_FRACTIONS:
            index = int(f * (flat.numel() - 1))
            print("stage", s, "element", index, fmt(flat[index]), file=out)
    print("end", file=out)


def main():
    torch.set_num_threads(1)
    out = sys.stdout
    print("# Reference forward of ResNet-50 (WSOL variant: layer4 stride 1) computed with "
          "torchvision's resnet50, float64, eval mode,", file=out)
    print("# formula weights and input (see the generator's docstring). Written by:", file=out)
    print("#   /usr/bin/python3 wsol/backbones/testdata/make_reference_forward.py "
          "> wsol/backbones/testdata/reference_forward.txt", file=out)
    print(f"# with torch {torch.__version__}, torchvision {torchvision.__version__} "
          "(Debian python3-torch / python3-torchvision), CPU.", file=out)
    print("# Stage 0 is the stem after max pooling, stages 1-4 are layer1-layer4; stage 4 "
          "is the CAM feature map.", file=out)
    for large_feature_map in (False, True):
        record(large_feature_map, out)


if __name__ == "__main__":
    main()
