#!/usr/bin/env python3
"""Runs clovaai/wsolevaluation's own evaluators on our parity sets.

Two commands, both given a wsolevaluation checkout and a folder written by
//wsol/evaluation:write_parity_fixture (boxes/ and masks/):

  golden  prints, for several settings, the numbers BoxEvaluator and MaskEvaluator give:
          the lines of wsol/evaluation/testdata/wsolevaluation_golden.txt.
  time    measures their accumulate() per image, single thread, on the same score maps.

Their code is imported unchanged. Modules it imports but never uses for evaluation
(torch's DataLoader, munch, PIL, torchvision) are replaced by stand-ins, and the aliases
np.float / np.int that numpy 1.24 removed are restored, so it runs on Debian's
python3-numpy and python3-opencv alone. Score maps are loaded as their evaluate_wsol does:
np.load, then float64 (their CamDataset + t2n).
"""

import argparse
import os
import sys
import time
import types


def _install_stand_ins():
    import numpy as np
    if not hasattr(np, "float"):
        np.float = float
    if not hasattr(np, "int"):
        np.int = int

    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules.setdefault(name, m)
        return sys.modules[name]

    class Dataset:
        pass

    class Munch(dict):
        def __getattr__(self, key):
            return self[key]

        def __setattr__(self, key, value):
            self[key] = value

    torch = module("torch")
    utils = module("torch.utils")
    data = module("torch.utils.data", Dataset=Dataset, DataLoader=None)
    torch.utils = utils
    utils.data = data
    module("munch", Munch=Munch)
    module("PIL", Image=None)
    module("torchvision", transforms=None)


class _Metadata(dict):
    def __getattr__(self, key):
        return self[key]


def _metadata(folder):
    return _Metadata({name: os.path.join(folder, name + ".txt") for name in
                      ("image_ids", "class_labels", "image_sizes", "localization")})


def _image_ids(folder):
    with open(os.path.join(folder, "image_ids.txt")) as f:
        return [line.strip("\n") for line in f if line.strip("\n")]


def _load(scoremaps, image_id):
    import numpy as np
    return np.load(os.path.join(scoremaps, image_id + ".npy")).astype(np.float64)


def _box_evaluator(evaluation, split, interval, multi_contour):
    import numpy as np
    return evaluation.BoxEvaluator(
        metadata=_metadata(os.path.join(split, "metadata")), dataset_name="CUB",
        split="test", cam_threshold_list=list(np.arange(0, 1, interval)),
        iou_threshold_list=[30, 50, 70], mask_root=None, multi_contour_eval=multi_contour)


def _mask_evaluator(evaluation, split, interval):
    import numpy as np
    return evaluation.MaskEvaluator(
        metadata=_metadata(os.path.join(split, "metadata")), dataset_name="OpenImages",
        split="test", cam_threshold_list=list(np.arange(0, 1, interval)),
        iou_threshold_list=[30, 50, 70], mask_root=os.path.join(split, "masks"),
        multi_contour_eval=False)


BOX_SETTINGS = [(0.01, False), (0.01, True), (0.001, False), (0.001, True)]
MASK_SETTINGS = [0.01, 0.001]


def golden(evaluation, fixture):
    import contextlib
    import io
    import cv2
    import numpy as np
    boxes, masks = os.path.join(fixture, "boxes"), os.path.join(fixture, "masks")
    print("# Recorded by tools/regenerate_metric_goldens.sh from clovaai/wsolevaluation's")
    print("# BoxEvaluator and MaskEvaluator (numpy %s, OpenCV %s) on the sets of"
          % (np.__version__, cv2.__version__))
    print("# //wsol/evaluation:parity_fixture. Do not edit; regenerate.")
    print("# <setting> <key> <values...>; floats are Python repr (round-trip exact).")
    for interval, multi in BOX_SETTINGS:
        name = "boxes_%s_%s" % (interval, "multi" if multi else "single")
        ev = _box_evaluator(evaluation, boxes, interval, multi)
        for image_id in _image_ids(os.path.join(boxes, "metadata")):
            ev.accumulate(_load(os.path.join(boxes, "scoremaps"), image_id), image_id)
        accuracy = ev.compute()
        for iou, value in zip([30, 50, 70], accuracy):
            print("%s max_box_acc_%d %r" % (name, iou, float(value)))
        for iou in (30, 50, 70):
            print("%s num_correct_%d %s" % (
                name, iou, " ".join(str(int(c)) for c in ev.num_correct[iou])))
    for interval in MASK_SETTINGS:
        name = "masks_%s" % interval
        ev = _mask_evaluator(evaluation, masks, interval)
        for image_id in _image_ids(os.path.join(masks, "metadata")):
            ev.accumulate(_load(os.path.join(masks, "scoremaps"), image_id), image_id)
        with contextlib.redirect_stdout(io.StringIO()):
            auc = ev.compute()
        print("%s pxap %r" % (name, float(auc)))
        print("%s gt_true_hist %s" % (name, " ".join(str(int(c)) for c in ev.gt_true_score_hist)))
        print("%s gt_false_hist %s" % (name, " ".join(
            str(int(c)) for c in ev.gt_false_score_hist)))


def _cam_like(image_id):
    """Whether a parity image is CAM-like: kinds 0-4 of parity_fixture.cc (index % 8)."""
    index = int(image_id.rsplit("img_", 1)[1].split(".")[0])
    return index % 8 < 5


def timing(evaluation, fixture, repeats, what):
    boxes, masks = os.path.join(fixture, "boxes"), os.path.join(fixture, "masks")

    def measure(ev, split, cam_like_only=False):
        ids = _image_ids(os.path.join(split, "metadata"))
        if cam_like_only:
            ids = [i for i in ids if _cam_like(i)]
        maps = [_load(os.path.join(split, "scoremaps"), i) for i in ids]
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            for scoremap, image_id in zip(maps, ids):
                ev.accumulate(scoremap, image_id)
            best = min(best, (time.perf_counter() - start) / len(ids))
        return best, len(ids)

    box_settings = [(0.001, True, True), (0.01, True, True), (0.01, False, True),
                    (0.001, True, False), (0.01, True, False), (0.01, False, False)]
    if what == "boxes_coarse":  # Skips the slow interval 0.001 (minutes per setting).
        box_settings = [b for b in box_settings if b[0] != 0.001]
    for interval, multi, cam_like in box_settings if what != "masks" else []:
        seconds, n = measure(_box_evaluator(evaluation, boxes, interval, multi), boxes, cam_like)
        print("BoxEvaluator interval=%s multi_contour=%s %s: %.3f ms/image (%d images, best of %d)"
              % (interval, multi, "CAM-like maps" if cam_like else "all maps", seconds * 1e3, n,
                 repeats), flush=True)
    if what.startswith("boxes"):
        return
    for interval in (0.01, 0.001):
        seconds, n = measure(_mask_evaluator(evaluation, masks, interval), masks)
        print("MaskEvaluator interval=%s (accumulate, mask PNGs read inside): %.3f ms/image "
              "(%d images, best of %d)" % (interval, seconds * 1e3, n, repeats), flush=True)
    # The same with every ground-truth mask decoded once beforehand: the histogram work
    # alone, comparable with BM_PxapAccumulate/read_masks:0.
    cache = {}
    original = evaluation.get_mask

    def cached_get_mask(mask_root, mask_paths, ignore_path):
        key = (mask_root, tuple(mask_paths), ignore_path)
        if key not in cache:
            cache[key] = original(mask_root, mask_paths, ignore_path)
        return cache[key]

    evaluation.get_mask = cached_get_mask
    for interval in (0.01, 0.001):
        ev = _mask_evaluator(evaluation, masks, interval)
        measure(ev, masks)  # Fills the cache.
        seconds, n = measure(ev, masks)
        print("MaskEvaluator interval=%s (accumulate, masks in memory): %.3f ms/image "
              "(%d images, best of %d)" % (interval, seconds * 1e3, n, repeats), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["golden", "time"])
    parser.add_argument("--wsolevaluation", required=True,
                        help="checkout of github.com/clovaai/wsolevaluation")
    parser.add_argument("--fixture", required=True,
                        help="folder written by //wsol/evaluation:write_parity_fixture")
    parser.add_argument("--repeats", type=int, default=3, help="timing repetitions")
    parser.add_argument("--what", choices=["all", "boxes", "boxes_coarse", "masks"], default="all",
                        help="which evaluators to time")
    args = parser.parse_args()
    _install_stand_ins()
    sys.path.insert(0, os.path.abspath(args.wsolevaluation))
    import evaluation
    if args.command == "golden":
        golden(evaluation, args.fixture)
    else:
        timing(evaluation, args.fixture, args.repeats, args.what)


if __name__ == "__main__":
    main()
