"""Training data for the pose network: an endless synthetic stream, or arrays (shards, real datasets)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from handpose_live.evaluation.testset import RESERVED_SEEDS
from handpose_live.synthetic.generator import SynthFrame, SynthSettings, make_sample, render_frame, sample_rng
from handpose_live.synthetic.shards import load_shards
from handpose_live.training.augment import AugmentSettings, augment


def reader_partition() -> tuple[int, int]:
    """(this reader's number, number of readers) over DDP ranks × DataLoader workers."""
    rank, world = 0, 1
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
    info = get_worker_info()
    wid, nw = (info.id, info.num_workers) if info is not None else (0, 1)
    return rank * nw + wid, world * nw


class SyntheticFrames(IterableDataset):
    """Endless synthetic frames (seed, start + k), interleaved over readers so none repeats another's;
    subclasses turn each frame into a training sample."""

    def __init__(self, seed: int, start: int = 0, settings: SynthSettings = SynthSettings()):
        if seed in RESERVED_SEEDS:
            raise ValueError(f"seed {seed} is reserved for the validation and test sets")
        self.seed, self.start, self.settings = seed, start, settings

    def sample(self, frame: SynthFrame, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        """The training sample of one frame (the frame's generator continues to draw)."""
        raise NotImplementedError

    def __iter__(self):
        me, readers = reader_partition()
        index = self.start + me
        while True:
            rng = sample_rng(self.seed, index)
            yield self.sample(render_frame(rng, self.settings), rng)
            index += readers


class SyntheticStream(SyntheticFrames):
    """Pose-network samples: the crop around the reference point, augmented, its targets and a full mask."""

    def __init__(self, seed: int, start: int = 0, settings: SynthSettings = SynthSettings(),
                 augmentation: AugmentSettings | None = AugmentSettings()):
        super().__init__(seed, start, settings)
        self.augmentation = augmentation

    def sample(self, frame: SynthFrame, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        sample = make_sample(frame, rng, self.settings)
        depth, uvd = sample.crop, sample.uvd
        if self.augmentation is not None:
            depth, uvd = augment(depth, uvd, rng, self.augmentation)
        return (torch.from_numpy(depth[None].astype(np.float32)), torch.from_numpy(uvd.astype(np.float32)),
                torch.ones(len(uvd), dtype=torch.bool))


class ArraySamples(Dataset):
    """Crops and targets held in arrays (from shards or a real dataset), augmented per epoch."""

    def __init__(self, depth: np.ndarray, uvd: np.ndarray, seed: int = 0,
                 augmentation: AugmentSettings | None = AugmentSettings(), mask: np.ndarray | None = None):
        if len(depth) != len(uvd):
            raise ValueError(f"{len(depth)} crops but {len(uvd)} targets")
        self.depth, self.uvd, self.seed, self.augmentation = depth, uvd, seed, augmentation
        self.mask = np.ones(uvd.shape[:2], bool) if mask is None else mask
        self.epoch = 0

    @classmethod
    def from_shards(cls, folder: Path, seed: int = 0, augmentation: AugmentSettings | None = AugmentSettings()):
        """All shards of a `synth --out` folder."""
        paths = sorted(Path(folder).glob("shard_*.npz"))
        if not paths:
            raise FileNotFoundError(f"no shard_*.npz files in {folder}")
        data = load_shards(paths)
        return cls(data["depth"], data["uvd"], seed, augmentation)

    @classmethod
    def from_spec(cls, spec: str, seed: int = 0, augmentation: AugmentSettings | None = AugmentSettings()):
        """Training arrays from a `--data` value: a shard folder, or msra:ROOT, icvl:DEPTH_DIR:LABELS,
        nyu:SPLIT_DIR:LABELS (real datasets in their own formats, cropped around their labels)."""
        from handpose_live.training.datasets import crop_frames, frames_from_spec, is_dataset_spec

        if not is_dataset_spec(spec):
            return cls.from_shards(Path(spec), seed, augmentation)
        data = crop_frames(frames_from_spec(spec))
        return cls(data["depth"], data["uvd"], seed, augmentation, data["mask"])

    def set_epoch(self, epoch: int) -> None:
        """Change the augmentation draws (deterministic per seed, epoch and index)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.depth)

    def __getitem__(self, k: int):
        depth = self.depth[k].astype(np.float32)
        uvd = self.uvd[k].astype(np.float32)
        if self.augmentation is not None:
            depth, uvd = augment(depth, uvd, np.random.default_rng([self.seed, self.epoch, k]), self.augmentation)
        return torch.from_numpy(depth[None]), torch.from_numpy(uvd), torch.from_numpy(self.mask[k])
