"""The training loop of JGR-P2O: Adam with the paper's schedule (or a cosine one fitted to a time
budget), validation, checkpoints, CSV log.

Runs on CUDA when present, else the CPU; under `torchrun` with more than one process it
trains with DistributedDataParallel (each rank reads its own share of the data).
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from handpose_live.evaluation.metrics import score
from handpose_live.evaluation.testset import RESERVED_SEEDS, VALIDATION_SEED, EvalSet
from handpose_live.model.jgr_p2o import JGRP2O, JGRP2OConfig, count_parameters, jgr_p2o_loss
from handpose_live.synthetic.generator import TRAINING_CAMERAS, SynthSettings
from handpose_live.training.augment import AugmentSettings
from handpose_live.training.common import append_csv, load_checkpoint, load_trained, pick_device, save_atomic
from handpose_live.training.data import ArraySamples, SyntheticStream
from handpose_live.training.schedule import SCHEDULES, RunProgress, cosine_lr

CHECKPOINT = "last.pt"
BEST = "best.pt"
LOG = "log.csv"


@dataclass(frozen=True)
class TrainSettings:
    """One training run. `data`: "synthetic" (generated on the fly), a `synth --out` folder, or a real
    dataset as msra:ROOT, icvl:DEPTH_DIR:LABEL_FILE or nyu:SPLIT_DIR:LABEL_FILE."""

    out_dir: str
    model: JGRP2OConfig = field(default_factory=JGRP2OConfig)
    data: str = "synthetic"
    seed: int = 0
    epochs: int = 58
    steps_per_epoch: int = 1000  # synthetic data only; a folder's epoch is one pass over it
    batch_size: int = 32
    lr: float = 1e-4
    lr_decay: float = 0.96  # per epoch, with schedule "step"
    # "step": lr · lr_decay^epoch, the paper's. "cosine": warm-up, then a cosine over what is left of
    # the run, which ends at `epochs` or after `max_minutes`, whichever comes first; a resumed run
    # spreads the rest of the cosine over its own budget.
    schedule: str = "step"
    # Channels-last memory: 42.9 against 33.4 samples/s per training step on this 2-core CPU
    # (scripts/train_throughput.py); "auto" uses it on the CPU only, where it was measured.
    channels_last: str = "auto"  # "auto", "on" or "off"
    augment: bool = True
    workers: int = 2
    val_count: int = 500
    device: str = "auto"
    max_minutes: float | None = None  # stop (with a checkpoint) after this much wall time
    checkpoint_minutes: float = 10.0
    init: str | None = None  # weights to start from (a fresh run only; a run in out_dir resumes)
    cameras: tuple[str, ...] = TRAINING_CAMERAS  # synthetic training data; validation keeps the test set's

    def __post_init__(self) -> None:
        if self.data == "synthetic" and self.seed in RESERVED_SEEDS:
            raise ValueError(f"seed {self.seed} is reserved for the validation and test sets")
        if self.channels_last not in ("auto", "on", "off"):
            raise ValueError(f"channels_last must be auto, on or off, got {self.channels_last!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; known: {', '.join(SCHEDULES)}")

    def to_dict(self) -> dict:
        """JSON-able form (stored in checkpoints)."""
        return json.loads(json.dumps(asdict(self)))


def _distributed() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))


@torch.no_grad()
def evaluate(model: JGRP2O, data: EvalSet, device: torch.device, batch_size: int = 64):
    """Scores (mm) of the final stage on a fixed set, and the predictions in mm."""
    was_training = model.training
    model.eval()
    preds = []
    for k in range(0, len(data), batch_size):
        x = torch.from_numpy(data.depth[k : k + batch_size, None]).to(device)
        preds.append(model.predict(x).float().cpu().numpy())
    model.train(was_training)
    pred_mm = data.to_mm(np.concatenate(preds))
    return score(pred_mm, data.joints_mm), pred_mm


def train(settings: TrainSettings, resume: bool = True, progress: bool = True) -> dict:
    """Train (or resume) a run in `settings.out_dir`; returns the last validation figures."""
    rank, world, local_rank = _distributed()
    if world > 1:
        torch.distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        device = torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
    else:
        device = pick_device(settings.device)
    main_process = rank == 0
    aug = AugmentSettings() if settings.augment else None
    # Data first: a bad --data is reported before anything is written.
    arrays = None if settings.data == "synthetic" else ArraySamples.from_spec(settings.data, settings.seed, aug)
    steps = settings.steps_per_epoch if arrays is None else len(arrays) // (settings.batch_size * world)
    if steps < 1:
        raise ValueError(f"{settings.data} holds fewer samples than one batch of {settings.batch_size}")
    out = Path(settings.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(settings.seed)

    memory = torch.channels_last if settings.channels_last == "on" or (
        settings.channels_last == "auto" and device.type == "cpu") else torch.contiguous_format
    model = JGRP2O(settings.model).to(device, memory_format=memory)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr)
    start_epoch, start_step, best, progress0 = 0, 0, math.inf, 0.0
    ckpt_path = out / CHECKPOINT
    if resume and ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path, device)
        if ckpt["settings"]["model"] != settings.model.to_dict():
            raise ValueError(f"{ckpt_path} was trained with another model configuration; use another --out")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        start_epoch, start_step, best = ckpt["epoch"], ckpt["step"], ckpt["best_val_mm"]
        progress0 = ckpt.get("progress", 0.0)
        if main_process:
            print(f"Resuming {out} at epoch {start_epoch + 1}, step {start_step}")
    elif settings.init is not None:
        start, _ = load_trained(Path(settings.init))
        if start.cfg.to_dict() != settings.model.to_dict():
            raise ValueError(f"{settings.init} holds another model configuration than this run's")
        model.load_state_dict(start.state_dict())
        if main_process:
            print(f"Starting from the weights of {settings.init}")
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    if main_process:
        print(f"JGR-P2O {settings.model.num_stacks} stacks, {count_parameters(model):,} parameters, on {device}")
        (out / "settings.json").write_text(json.dumps(settings.to_dict(), indent=1))

    synth = SynthSettings(cameras=settings.cameras)
    val = EvalSet.synthetic(VALIDATION_SEED, settings.val_count, SynthSettings()) if main_process else None

    log_path = out / LOG
    log_header = ["epoch", "step", "samples", "lr", "train_loss", "val_mean_mm", "val_success_20mm",
                  "val_success_40mm", "wall_s"]
    t_start = time.monotonic()
    last_ckpt = time.monotonic()
    figures: dict = {}
    stop = False
    run = RunProgress(progress0, (settings.epochs - start_epoch) * steps - start_step, settings.max_minutes)

    def save(epoch: int, step: int, best_val: float) -> None:
        save_atomic({"architecture": "jgr_p2o", "model": model.state_dict(), "optimizer": opt.state_dict(),
                     "config": settings.model.to_dict(), "settings": settings.to_dict(), "epoch": epoch,
                     "step": step, "best_val_mm": best_val, "progress": run.fraction()}, out / CHECKPOINT)

    def set_lr(epoch: int) -> float:
        if settings.schedule == "step":
            lr = settings.lr * settings.lr_decay**epoch
        else:
            lr = cosine_lr(settings.lr, run.fraction())
        for g in opt.param_groups:
            g["lr"] = lr
        return lr

    for epoch in range(start_epoch, settings.epochs):
        lr = set_lr(epoch)
        first = start_step if epoch == start_epoch else 0
        if arrays is None:
            # Sample indices continue where the run stopped, so a resumed run sees new data.
            consumed = (epoch * steps + first) * settings.batch_size * world
            source = SyntheticStream(settings.seed, consumed, synth, aug)
            loader = DataLoader(source, batch_size=settings.batch_size, num_workers=settings.workers,
                                persistent_workers=False)
        else:
            arrays.set_epoch(epoch)
            sampler = torch.utils.data.DistributedSampler(arrays, seed=settings.seed) if world > 1 else None
            if sampler is not None:
                sampler.set_epoch(epoch)
            gen = torch.Generator().manual_seed(settings.seed * 1000 + epoch)
            loader = DataLoader(arrays, batch_size=settings.batch_size, shuffle=sampler is None, sampler=sampler,
                                num_workers=settings.workers, drop_last=True, generator=gen)
        bar = tqdm(total=steps, initial=first, desc=f"epoch {epoch + 1}/{settings.epochs}",
                   disable=not (progress and main_process), unit="step")
        losses = []
        t_epoch = time.monotonic()
        net.train()
        it = iter(loader)
        if arrays is not None:
            for _ in range(first):  # skip batches already trained on in this epoch
                next(it)
        for step in range(first, steps):
            if settings.schedule != "step":
                lr = set_lr(epoch)
            depth, uvd, mask = (t.to(device, non_blocking=True) for t in next(it))
            depth = depth.contiguous(memory_format=memory)
            outputs = net(depth)
            loss, _ = jgr_p2o_loss(model, depth, uvd, outputs, mask)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            run.step()
            done = step + 1 - first
            rate = done * settings.batch_size * world / max(time.monotonic() - t_epoch, 1e-9)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", samples_s=f"{rate:.0f}")
            bar.update(1)
            if run.over_time():
                stop = True
                break
            if main_process and time.monotonic() - last_ckpt > 60 * settings.checkpoint_minutes:
                save(epoch, step + 1, best)
                last_ckpt = time.monotonic()
        bar.close()
        del it, loader
        if main_process and stop:
            # Out of time mid-epoch: keep the position; a resumed run finishes the epoch and validates it.
            save(epoch, step + 1, best)
            print(f"Stopped after {settings.max_minutes:g} minutes at epoch {epoch + 1}, step {step + 1}; "
                  f"run again to resume")
        elif main_process:
            scores, _ = evaluate(model, val, device)
            figures = {"epoch": epoch + 1, "val_mean_mm": scores.mean_mm, "val_success_20mm": scores.success_at(20),
                       "val_success_40mm": scores.success_at(40), "train_loss": float(np.mean(losses)) if losses else None}
            append_csv(log_path, log_header, [
                epoch + 1, steps, ((epoch + 1) * steps) * settings.batch_size * world, f"{lr:.3g}",
                f"{figures['train_loss']:.5f}", f"{scores.mean_mm:.3f}", f"{scores.success_at(20):.4f}",
                f"{scores.success_at(40):.4f}", f"{time.monotonic() - t_start:.0f}"])
            print(f"epoch {epoch + 1}: validation mean error {scores.mean_mm:.2f} mm, "
                  f"frames within 20 / 40 mm {scores.success_at(20):.1%} / {scores.success_at(40):.1%}")
            if scores.mean_mm < best:
                best = scores.mean_mm
                save_atomic({"architecture": "jgr_p2o", "model": model.state_dict(), "config": settings.model.to_dict(),
                             "settings": settings.to_dict(), "epoch": epoch + 1, "val_mean_mm": best}, out / BEST)
            save(epoch + 1, 0, best)
        if stop:
            break
    if world > 1:
        torch.distributed.destroy_process_group()
    return figures
