"""Training of the centre refiner on synthetic full frames (body, background, distractors)."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm import tqdm

from handpose_live.evaluation.testset import RESERVED_SEEDS, VALIDATION_SEED
from handpose_live.model.com_refiner import ComRefiner, ComRefinerConfig
from handpose_live.synthetic.generator import TRAINING_CAMERAS, SynthFrame, SynthSettings
from handpose_live.synthetic.refiner_data import (
    StartSettings,
    generate_refiner_samples,
    refiner_sample,
    refiner_start,
)
from handpose_live.training.common import append_csv, load_checkpoint, load_trained, pick_device, save_atomic
from handpose_live.training.data import SyntheticFrames
from handpose_live.training.schedule import SCHEDULES, RunProgress, cosine_lr

CHECKPOINT = "last.pt"
LOG = "log.csv"


@dataclass(frozen=True)
class RefinerSettings:
    """One refiner training run."""

    out_dir: str
    model: ComRefinerConfig = field(default_factory=ComRefinerConfig)
    seed: int = 0
    steps: int = 20000
    batch_size: int = 64
    lr: float = 1e-3
    # "step": lr halved every `lr_halve_every` steps. "cosine": warm-up, then a cosine over the run
    # (its steps, or `max_minutes` when that ends sooner), continued across resumes.
    schedule: str = "cosine"
    lr_halve_every: int = 5000
    workers: int = 2
    val_count: int = 500
    val_every: int = 500  # also the checkpoint interval: a refiner step takes ~1 s on a 2-core CPU
    device: str = "auto"
    max_minutes: float | None = None
    init: str | None = None  # start from this refiner checkpoint's weights (a new run only)
    cameras: tuple[str, ...] = TRAINING_CAMERAS  # synthetic training data; validation keeps the test set's
    starts: StartSettings = field(default_factory=StartSettings)  # where training crops are centred

    def __post_init__(self) -> None:
        if self.seed in RESERVED_SEEDS:
            raise ValueError(f"seed {self.seed} is reserved for the validation and test sets")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; known: {', '.join(SCHEDULES)}")

    def to_dict(self) -> dict:
        """JSON-able form (stored in checkpoints)."""
        return json.loads(json.dumps(asdict(self)))


class RefinerStream(SyntheticFrames):
    """Refiner samples: the crop (of the refiner's cube) around a detector-like start centre and the
    offset to the reference."""

    def __init__(self, seed: int, start: int, settings: SynthSettings, cube_mm: float, starts: StartSettings):
        super().__init__(seed, start, settings)
        self.cube_mm, self.starts = cube_mm, starts

    def sample(self, frame: SynthFrame, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        start = refiner_start(frame, rng, self.settings.cube_mm, self.starts)
        crop, target = refiner_sample(frame, start, self.cube_mm, self.settings.crop_size)
        return torch.from_numpy(crop[None]), torch.from_numpy(target)


@torch.no_grad()
def centre_errors(model: ComRefiner, val: dict[str, np.ndarray], cube_mm: float, device: torch.device):
    """Mean distance (mm) of the start centres and of the once-refined centres to the reference."""
    model.eval()
    pred = np.concatenate([model(torch.from_numpy(val["depth"][k : k + 128, None]).to(device)).cpu().numpy()
                           for k in range(0, len(val["depth"]), 128)])
    model.train()
    before = np.linalg.norm(val["start_mm"] - val["reference_mm"], axis=1)
    after = np.linalg.norm(val["start_mm"] + pred * 0.5 * cube_mm - val["reference_mm"], axis=1)
    return float(before.mean()), float(after.mean())


def train_refiner(settings: RefinerSettings, resume: bool = True, progress: bool = True) -> dict:
    """Train (or resume) the refiner in `settings.out_dir`; returns the last validation figures."""
    device = pick_device(settings.device)
    out = Path(settings.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(settings.seed)
    model = ComRefiner(settings.model).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr)
    step, progress0 = 0, 0.0
    if resume and (out / CHECKPOINT).exists():
        ckpt = load_checkpoint(out / CHECKPOINT, device)
        if ComRefinerConfig.from_dict(ckpt["config"]) != settings.model:
            raise ValueError(f"{out / CHECKPOINT} holds another refiner configuration; use another --out")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        step, progress0 = ckpt["step"], ckpt.get("progress", 0.0)
        print(f"Resuming {out} at step {step}")
    elif settings.init is not None:
        start, _ = load_trained(Path(settings.init))  # one sentence for a file that is not a checkpoint
        if not isinstance(start, ComRefiner):
            raise ValueError(f"{settings.init} holds the pose network, not a centre refiner")
        # The cube is the crop's scale, not the architecture: a coarse refiner may start from a fine one.
        if replace(start.cfg, cube_mm=settings.model.cube_mm) != settings.model:
            raise ValueError(f"{settings.init} holds another refiner configuration than this run's")
        model.load_state_dict(start.state_dict())
        print(f"Starting from the weights of {settings.init}")
    synth = SynthSettings(cameras=settings.cameras)
    cube = settings.model.cube_mm
    val = generate_refiner_samples(VALIDATION_SEED, 0, settings.val_count, SynthSettings(), cube, settings.starts)
    stream = RefinerStream(settings.seed, step * settings.batch_size, synth, cube, settings.starts)
    loader = iter(DataLoader(stream, batch_size=settings.batch_size, num_workers=settings.workers))
    header = ["step", "lr", "train_loss", "val_start_error_mm", "val_refined_error_mm", "wall_s"]
    t0 = time.monotonic()
    run = RunProgress(progress0, settings.steps - step, settings.max_minutes)
    losses: list[float] = []
    figures: dict = {}

    def checkpoint() -> None:
        save_atomic({"architecture": "com_refiner", "model": model.state_dict(), "optimizer": opt.state_dict(),
                     "config": settings.model.to_dict(), "settings": settings.to_dict(), "step": step,
                     "progress": run.fraction()}, out / CHECKPOINT)

    bar = tqdm(total=settings.steps, initial=step, desc="refiner", unit="step", disable=not progress)
    while step < settings.steps:
        if settings.schedule == "step":
            lr = settings.lr * 0.5 ** (step // settings.lr_halve_every)
        else:
            lr = cosine_lr(settings.lr, run.fraction())
        for g in opt.param_groups:
            g["lr"] = lr
        depth, target = (t.to(device) for t in next(loader))
        loss = F.smooth_l1_loss(model(depth), target, beta=0.02)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
        run.step()
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
        over_time = run.over_time()
        if step % settings.val_every == 0 or step == settings.steps or over_time:
            before, after = centre_errors(model, val, cube, device)
            figures = {"step": step, "val_start_error_mm": before, "val_refined_error_mm": after}
            append_csv(out / LOG, header, [step, f"{lr:.3g}", f"{np.mean(losses):.5f}", f"{before:.2f}",
                                           f"{after:.2f}", f"{time.monotonic() - t0:.0f}"])
            losses = []
            bar.write(f"step {step}: centre error {before:.1f} mm → {after:.1f} mm after one refinement")
            checkpoint()
        if over_time:
            break
    bar.close()
    return figures
