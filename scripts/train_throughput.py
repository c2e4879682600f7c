"""Training throughput on this machine (issue 13, item 2): samples/s of one JGR-P2O training step under
each setting, and of the synthetic data a worker makes, so that a run can be set up to use what the
CPU offers.

    python scripts/train_throughput.py [--steps 12] [--batch-size 32] [--json OUT.json]

Step rows train on one fixed batch (no data loading): float32 with the default threads, one thread,
channels-last memory, and bfloat16 autocast. The data row is one process making augmented samples. A
step row the machine cannot run (bf16 autocast on a build without it) says why instead of a figure.
Not a test: the figures are the machine's.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from handpose_live.model.jgr_p2o import JGRP2O, JGRP2OConfig, jgr_p2o_loss
from handpose_live.training.data import SyntheticStream


def step_rate(batch: tuple[torch.Tensor, ...], steps: int, threads: int, channels_last: bool, bf16: bool) -> float:
    """Samples/s of `steps` Adam steps on one batch (after two warm-up steps)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = JGRP2O(JGRP2OConfig())
    depth, uvd, mask = batch
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        depth = depth.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    t0 = 0.0
    for k in range(steps + 2):
        if k == 2:
            t0 = time.perf_counter()
        with autocast:
            outputs = model(depth)
            loss, _ = jgr_p2o_loss(model, depth, uvd, outputs, mask)
        opt.zero_grad(set_to_none=True)
        loss.float().backward()
        opt.step()
    return steps * len(depth) / (time.perf_counter() - t0)


def data_rate(count: int) -> float:
    """Samples/s of one process making augmented synthetic training samples."""
    it = iter(SyntheticStream(11, 0))
    next(it)  # compile the numba kernels and warm the caches
    t0 = time.perf_counter()
    for _ in range(count):
        next(it)
    return count / (time.perf_counter() - t0)


def main() -> int:
    """Measure every row and print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=12, help="timed steps per row (default 12)")
    p.add_argument("--batch-size", type=int, default=32, help="batch size (default 32, the trainer's)")
    p.add_argument("--samples", type=int, default=200, help="samples timed for the data row (default 200)")
    p.add_argument("--json", type=Path, help="also write the figures as JSON")
    a = p.parse_args()
    if min(a.steps, a.batch_size, a.samples) < 1:
        print("--steps, --batch-size and --samples must be at least 1", file=sys.stderr)
        return 2
    cores = len(os.sched_getaffinity(0))
    it = iter(SyntheticStream(11, 0))
    batch = tuple(torch.stack(t) for t in zip(*(next(it) for _ in range(a.batch_size))))
    rows = {}
    for name, threads, cl, bf16 in ((f"float32, {cores} threads", cores, False, False),
                                    ("float32, 1 thread", 1, False, False),
                                    (f"float32, channels-last, {cores} threads", cores, True, False),
                                    (f"bfloat16 autocast, {cores} threads", cores, False, True)):
        try:
            rows[name] = step_rate(batch, a.steps, threads, cl, bf16)
        except RuntimeError as e:  # an autocast kernel this build or CPU lacks
            rows[name] = f"cannot run: {str(e).splitlines()[0]}"
    torch.set_num_threads(cores)
    rows["synthetic data, 1 process"] = data_rate(a.samples)
    print(f"| setting (batch {a.batch_size}) | samples/s |\n|---|---|")
    for name, v in rows.items():
        print(f"| {name} | {v if isinstance(v, str) else f'{v:.1f}'} |")
    if a.json:
        a.json.write_text(json.dumps({k: (None if isinstance(v, str) else float(np.round(v, 2))) for k, v in
                                      rows.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
