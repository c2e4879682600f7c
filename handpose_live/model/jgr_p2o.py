"""JGR-P2O: joint graph reasoning + pixel-to-offset prediction for 3D hand pose (SPEC §4).

Fang, Liu, Wang, Chen, Sun. "JGR-P2O: Joint Graph Reasoning based Pixel-to-Offset
Prediction Network for 3D Hand Pose Estimation from a Single Depth Image", ECCV 2020.
Wiring follows the paper and its public TensorFlow code:

    96×96 depth ─ stem (7×7/2 conv, residual 64, max-pool, residual 64, residual 128) → 24×24×128
    stage × N:  hourglass(depth 3) → residual → JGR (pixel-to-joint voting W, GCN over the
                skeleton, joint-to-pixel mapping) → fuse → P2O (per-pixel, per-joint offsets)
                joint_k = Σ_i W_ki · (p_i + Δ_ki); p_i = (u, v) of pixel i in [−1, 1], z = input depth
                next stage input = input + f(offsets) + g(features)

All coordinates are the crop's normalised (u, v, z) of `pipeline.crop` (targets in [−1, 1]).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from handpose_live.joints import NUM_JOINTS, skeleton_adjacency


@dataclass(frozen=True)
class JGRP2OConfig:
    """Architecture and loss settings; stored with the weights and in the ONNX metadata.

    Args:
        num_stacks: stacked stages (1-3; 2 in the paper).
        channels: feature channels of the hourglasses.
        num_joints: joints predicted (21, canonical order).
        input_size: side of the square depth crop (96).
        hourglass_depth: number of down-sampling levels per hourglass (3: 24→12→6→3).
        use_jgr: graph reasoning on; off gives the paper's "P2O only" ablation (voting weights
            from a 1×1 conv, no GCN features).
        offset_loss: supervise the dense offset maps (the β term).
        huber_delta: δ of the smooth-L1 loss, in normalised units.
        offset_loss_weight: β.
    """

    num_stacks: int = 2
    channels: int = 128
    num_joints: int = NUM_JOINTS
    input_size: int = 96
    hourglass_depth: int = 3
    use_jgr: bool = True
    offset_loss: bool = True
    huber_delta: float = 0.01
    offset_loss_weight: float = 1e-4

    def to_dict(self) -> dict:
        """Plain dict for checkpoints and metadata."""
        return asdict(self)

    @property
    def feature_size(self) -> int:
        """Side of the feature maps (input / 4)."""
        return self.input_size // 4


class StageOutput(NamedTuple):
    """What one stage predicts."""

    uvd: torch.Tensor  # (B, J, 3) joints in normalised crop coordinates
    offsets: torch.Tensor  # (B, J, 3, S, S) per-pixel offsets to each joint
    weights: torch.Tensor  # (B, J, S*S) pixel-to-joint voting weights (rows sum to 1)


def conv_bn_relu(cin: int, cout: int, k: int = 1, stride: int = 1) -> nn.Sequential:
    """Convolution, batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class Residual(nn.Module):
    """Bottleneck residual block of the hourglass network (1×1 → 3×3 → 1×1, half width inside)."""

    def __init__(self, cin: int, cout: int | None = None):
        super().__init__()
        cout = cout or cin
        mid = cout // 2
        self.body = nn.Sequential(
            conv_bn_relu(cin, mid, 1),
            conv_bn_relu(mid, mid, 3),
            nn.Conv2d(mid, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.skip = nn.Identity() if cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.skip(x))


class Hourglass(nn.Module):
    """Recursive hourglass: full-resolution branch + (pool → residual → inner → residual → upsample)."""

    def __init__(self, channels: int, depth: int):
        super().__init__()
        self.upper = Residual(channels)
        self.down = Residual(channels)
        self.inner = Hourglass(channels, depth - 1) if depth > 1 else nn.Identity()
        self.up = Residual(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = self.down(F.max_pool2d(x, 3, stride=2, padding=1))
        low = self.up(self.inner(low))
        return self.upper(x) + F.interpolate(low, scale_factor=2.0, mode="nearest")


def normalized_adjacency(num_joints: int = NUM_JOINTS) -> torch.Tensor:
    """Â = D̃^−½ (A + I) D̃^−½ over the skeleton's bones."""
    a = skeleton_adjacency()[:num_joints, :num_joints] + np.eye(num_joints, dtype=np.float32)
    d = np.diag(a.sum(axis=1) ** -0.5)
    return torch.from_numpy((d @ a @ d).astype(np.float32))


class JointGraphReasoning(nn.Module):
    """JGR module: pixel-to-joint voting, GCN over the skeleton, joint-to-pixel mapping."""

    def __init__(self, channels: int, num_joints: int):
        super().__init__()
        self.vote = nn.Conv2d(channels, num_joints, 1)
        self.local = conv_bn_relu(channels, channels, 1)
        self.graph_weight = nn.Linear(channels, channels, bias=False)
        self.project = conv_bn_relu(channels, channels, 1)
        self.register_buffer("adjacency", normalized_adjacency(num_joints))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, c, h, w = x.shape
        weights = torch.softmax(self.vote(x).flatten(2), dim=-1)  # (B, J, HW)
        local = self.local(x).flatten(2)  # (B, C, HW)
        joint_feats = weights @ local.transpose(1, 2)  # (B, J, C)
        graph = F.relu(self.adjacency @ self.graph_weight(joint_feats))  # (B, J, C)
        # Each pixel gets the joint features weighted by its votes, averaged over the joints.
        pixel = (weights.transpose(1, 2) @ graph) / weights.shape[1]  # (B, HW, C)
        pixel = self.project(pixel.transpose(1, 2).reshape(b, c, h, w))
        return pixel, weights


class Stage(nn.Module):
    """One stacked stage: hourglass, residual, JGR (or plain voting), fusion and offset heads."""

    def __init__(self, cfg: JGRP2OConfig):
        super().__init__()
        c, j = cfg.channels, cfg.num_joints
        self.hourglass = Hourglass(c, cfg.hourglass_depth)
        self.residual = Residual(c)
        self.jgr = JointGraphReasoning(c, j) if cfg.use_jgr else None
        self.vote = None if cfg.use_jgr else nn.Conv2d(c, j, 1)
        self.fuse = conv_bn_relu(2 * c if cfg.use_jgr else c, c, 1)
        self.offsets = nn.Conv2d(c, 3 * j, 1, bias=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        feats = self.residual(self.hourglass(x))
        if self.jgr is not None:
            graph, weights = self.jgr(feats)
            fused = self.fuse(torch.cat([feats, graph], dim=1))
        else:
            weights = torch.softmax(self.vote(feats).flatten(2), dim=-1)
            fused = self.fuse(feats)
        return fused, self.offsets(fused), weights


class JGRP2O(nn.Module):
    """The JGR-P2O network. Input (B, 1, 96, 96) normalised depth; one StageOutput per stage."""

    def __init__(self, cfg: JGRP2OConfig = JGRP2OConfig()):
        super().__init__()
        if not 1 <= cfg.num_stacks <= 3:
            raise ValueError(f"num_stacks must be 1, 2 or 3, got {cfg.num_stacks}")
        if cfg.input_size % 4 or (cfg.input_size // 4) % (2**cfg.hourglass_depth):
            raise ValueError(f"input size {cfg.input_size} does not fit an hourglass of depth {cfg.hourglass_depth}")
        self.cfg = cfg
        c, j = cfg.channels, cfg.num_joints
        self.stem = nn.Sequential(
            conv_bn_relu(1, 32, 7, stride=2), Residual(32, 64), nn.MaxPool2d(2), Residual(64, 64), Residual(64, c)
        )
        self.stages = nn.ModuleList(Stage(cfg) for _ in range(cfg.num_stacks))
        self.from_offsets = nn.ModuleList(conv_bn_relu(3 * j, c, 1) for _ in range(cfg.num_stacks - 1))
        self.from_features = nn.ModuleList(conv_bn_relu(c, c, 1) for _ in range(cfg.num_stacks - 1))
        s = cfg.feature_size
        g = (2.0 * torch.arange(s, dtype=torch.float32) + 1.0) / s - 1.0  # pixel centres in [−1, 1]
        self.register_buffer("grid_u", g.repeat(s), persistent=False)  # (S*S,) row-major: u varies fastest
        self.register_buffer("grid_v", g.repeat_interleave(s), persistent=False)

    def pixel_depth(self, depth: torch.Tensor) -> torch.Tensor:
        """The input depth at the feature resolution, (B, S*S)."""
        return F.avg_pool2d(depth, 4).flatten(1)

    def forward(self, depth: torch.Tensor) -> list[StageOutput]:
        x = self.stem(depth)
        pz = self.pixel_depth(depth)
        outputs = []
        for k, stage in enumerate(self.stages):
            fused, offsets, weights = stage(x)
            b, _, s, _ = offsets.shape
            off = offsets.view(b, self.cfg.num_joints, 3, s * s)
            u = (weights * (off[:, :, 0] + self.grid_u)).sum(-1)
            v = (weights * (off[:, :, 1] + self.grid_v)).sum(-1)
            z = (weights * (off[:, :, 2] + pz[:, None, :])).sum(-1)
            outputs.append(StageOutput(torch.stack([u, v, z], dim=-1), off.view(b, -1, 3, s, s), weights))
            if k < len(self.from_offsets):
                x = x + self.from_offsets[k](offsets) + self.from_features[k](fused)
        return outputs

    def predict(self, depth: torch.Tensor) -> torch.Tensor:
        """Final-stage joints (B, J, 3) in normalised crop coordinates."""
        return self.forward(depth)[-1].uvd

    def offset_targets(self, depth: torch.Tensor, uvd: torch.Tensor) -> torch.Tensor:
        """Dense offset targets (B, J, 3, S, S): each joint minus each pixel's (u, v, z)."""
        s = self.cfg.feature_size
        pz = self.pixel_depth(depth)
        pix = torch.stack([self.grid_u.expand_as(pz), self.grid_v.expand_as(pz), pz], dim=1)  # (B, 3, S*S)
        return (uvd[:, :, :, None] - pix[:, None]).view(uvd.shape[0], uvd.shape[1], 3, s, s)


def smooth_l1(pred: torch.Tensor, target: torch.Tensor, delta: float, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Huber loss with threshold δ (times an optional broadcast weight), summed per sample, averaged over the batch."""
    loss = F.huber_loss(pred, target, reduction="none", delta=delta)
    if weight is not None:
        loss = loss * weight
    return loss.flatten(1).sum(1).mean()


def jgr_p2o_loss(
    model: JGRP2O, depth: torch.Tensor, uvd: torch.Tensor, outputs: list[StageOutput], mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, dict[str, float]]:
    """SPEC §4 loss summed over stages: smooth-L1 on joints + β·smooth-L1 on the dense offsets.

    `mask` (B, J) leaves out joints a dataset does not label.
    """
    cfg = model.cfg
    jw = None if mask is None else mask.to(uvd.dtype)[:, :, None]
    joint_loss = sum(smooth_l1(o.uvd, uvd, cfg.huber_delta, jw) for o in outputs)
    total = joint_loss
    parts = {"joints": joint_loss.item()}
    if cfg.offset_loss:
        target = model.offset_targets(depth, uvd)
        ow = None if jw is None else jw[:, :, :, None, None]
        off_loss = sum(smooth_l1(o.offsets, target, cfg.huber_delta, ow) for o in outputs) * cfg.offset_loss_weight
        total = total + off_loss
        parts["offsets"] = off_loss.item()
    return total, parts


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
