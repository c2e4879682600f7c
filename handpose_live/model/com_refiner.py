"""Centre refinement network (the DeepPrior++ idea, SPEC §3).

A small CNN looks at the 96×96 cube crop around the current hand centre and predicts the 3D
offset from that centre to a stable reference point of the hand (the middle-finger MCP,
`hand.kinematics.reference_point`), in camera-frame millimetres divided by half the cube.
Applied 1-3 times it moves a centre of mass that a forearm or a body pulled aside back onto
the hand, so the pose network sees crops centred as in training.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ComRefinerConfig:
    """Architecture of the refiner; stored with its weights and in the ONNX metadata."""

    input_size: int = 96
    channels: tuple[int, ...] = (16, 32, 48, 64, 64)  # one conv block (and 2× down-sampling) each
    hidden: int = 128
    # The crop's side: 250 mm (the pose network's) for the fine refiner; a coarse one sees 600 mm, so
    # that from the middle of a forearm, up to ~300 mm from the hand, the hand is still in its crop.
    cube_mm: float = 250.0

    def to_dict(self) -> dict:
        """Plain dict for checkpoints and metadata."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ComRefinerConfig:
        """The configuration of a checkpoint (JSON lists back to tuples; older ones have no cube_mm)."""
        return cls(**dict(d, channels=tuple(d["channels"])))


class ComRefiner(nn.Module):
    """(B, 1, S, S) normalised crop → (B, 3) offset to the reference point, in units of cube/2."""

    def __init__(self, cfg: ComRefinerConfig = ComRefinerConfig()):
        super().__init__()
        side = cfg.input_size // 2 ** len(cfg.channels)
        if side < 1 or cfg.input_size % 2 ** len(cfg.channels):
            raise ValueError(f"input size {cfg.input_size} cannot be halved {len(cfg.channels)} times")
        self.cfg = cfg
        layers: list[nn.Module] = []
        cin = 1
        for k, c in enumerate(cfg.channels):
            layers += [nn.Conv2d(cin, c, 5 if k == 0 else 3, padding=2 if k == 0 else 1, bias=False),
                       nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            cin = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(cin * side * side, cfg.hidden), nn.ReLU(inplace=True),
                                  nn.Linear(cfg.hidden, 3))

    def forward(self, depth: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(depth))
