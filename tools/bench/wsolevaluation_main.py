#!/usr/bin/env python3
"""Runs clovaai/wsolevaluation's main.py, unmodified, on the CPU, and times its phases.

What a WSOL researcher would otherwise run, beside //tools:train on the same spec
(tools/bench/compare_wsolevaluation.sh runs both). Its code is imported from the given
checkout as it is; this wrapper only
  - makes its .cuda() calls (on tensors and modules) return the object unchanged, so the
    run stays on the CPU,
  - restores the aliases np.float / np.int that numpy 1.24 removed (its util.t2n and
    check_scoremap_validity use them),
  - points its dataset/ and metadata/ folders at a data root in wsolevaluation's metadata
    format (FMNIST-Loc's generated root is one), under the name CUB (box annotations;
    its head then has CUB's 200 outputs, of which the data uses 10),
  - sets the intra-op thread count, and
  - wraps Trainer.train and Trainer.evaluate with a clock, writing every call's seconds
    to --timings (JSON lines: {"phase": "train"|"evaluate", "split", "epoch", "seconds"}).
Every argument after "--" goes to main.py as it is (e.g. --architecture resnet50
--wsol_method cam --pretrained FALSE --epochs 1 ...).

  /usr/bin/python3 tools/bench/wsolevaluation_main.py --wsolevaluation=CHECKOUT \
      --data=ROOT --work=DIR --timings=FILE --threads=1 -- MAIN_PY_ARGS...
"""

import argparse
import json
import os
import sys
import time


def _parse():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--wsolevaluation", required=True,
                      help="a clovaai/wsolevaluation checkout (main.py at its top)")
  parser.add_argument("--data", required=True,
                      help="data root with metadata/{train,val,test}/ in wsolevaluation's format "
                      "and the images its image ids name")
  parser.add_argument("--work", required=True,
                      help="empty folder to run in (main.py writes train_log/ there)")
  parser.add_argument("--timings", required=True, help="JSON-lines file of phase times")
  parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
  args, rest = parser.parse_known_args()
  if rest and rest[0] == "--":
    rest = rest[1:]
  return args, rest


def _fail(message):
  sys.stderr.write("wsolevaluation_main: " + message + "\n")
  sys.exit(2)


def main():
  args, main_args = _parse()
  checkout = os.path.abspath(args.wsolevaluation)
  data = os.path.abspath(args.data)
  timings = os.path.abspath(args.timings)
  if not os.path.isfile(os.path.join(checkout, "main.py")):
    _fail(f"{checkout}: no main.py; expected a clovaai/wsolevaluation checkout")
  for split in ("train", "val", "test"):
    if not os.path.isfile(os.path.join(data, "metadata", split, "image_ids.txt")):
      _fail(f"{data}: no metadata/{split}/image_ids.txt; expected a data root in "
            "wsolevaluation's metadata format")
  os.makedirs(args.work, exist_ok=True)
  if os.listdir(args.work):
    _fail(f"{args.work}: not empty; main.py refuses to reuse an experiment folder")
  os.chdir(args.work)
  os.makedirs("dataset")
  os.makedirs("metadata")
  os.symlink(data, os.path.join("dataset", "CUB"))
  os.symlink(os.path.join(data, "metadata"), os.path.join("metadata", "CUB"))

  import numpy as np
  import torch
  if not hasattr(np, "float"):
    np.float = float
  if not hasattr(np, "int"):
    np.int = int
  torch.set_num_threads(args.threads)
  torch.Tensor.cuda = lambda self, *unused_args, **unused_kwargs: self
  torch.nn.Module.cuda = lambda self, *unused_args, **unused_kwargs: self

  sys.path.insert(0, checkout)
  sys.argv = [os.path.join(checkout, "main.py"), "--dataset_name", "CUB",
              "--data_root", "dataset", "--metadata_root", "metadata"] + main_args
  import main as wsolevaluation  # their main.py

  records = []

  def clocked(method, phase):
    def wrapper(self, *call_args, **call_kwargs):
      start = time.perf_counter()
      result = method(self, *call_args, **call_kwargs)
      record = {"phase": phase, "seconds": time.perf_counter() - start}
      record["split"] = call_kwargs.get("split", "train")
      if phase == "evaluate":  # evaluate(epoch, split), epoch given either way
        record["epoch"] = call_kwargs.get("epoch", call_args[0] if call_args else None)
      records.append(record)
      return result
    return wrapper

  trainer_class = wsolevaluation.Trainer
  trainer_class.train = clocked(trainer_class.train, "train")
  trainer_class.evaluate = clocked(trainer_class.evaluate, "evaluate")
  wsolevaluation.main()
  with open(timings + ".tmp", "w") as f:
    for record in records:
      f.write(json.dumps(record) + "\n")
  os.replace(timings + ".tmp", timings)


if __name__ == "__main__":
  main()
