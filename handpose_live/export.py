"""Export a trained JGR-P2O checkpoint to ONNX with its preprocessing in the metadata, and check
that ONNX Runtime reproduces torch."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from handpose_live import __version__
from handpose_live.joints import Joint
from handpose_live.model.jgr_p2o import JGRP2O
from handpose_live.pipeline.pose_model import META_KEY, ModelInfo, PoseModel
from handpose_live.synthetic.generator import SynthSettings, generate_samples
from handpose_live.evaluation import TEST_SEED
from handpose_live.training.train import model_from_checkpoint

PARITY_TOLERANCE = 1e-4


class _FinalStage(torch.nn.Module):
    """Export view of the network: normalised crops in, final-stage normalised joints out."""

    def __init__(self, model: JGRP2O):
        super().__init__()
        self.model = model

    def forward(self, depth: torch.Tensor) -> torch.Tensor:
        return self.model.predict(depth)


def model_info(model: JGRP2O, cube_mm: float, training_data: str) -> ModelInfo:
    """The metadata that travels with an exported model."""
    return ModelInfo(
        architecture="jgr_p2o",
        input_size=model.cfg.input_size,
        cube_mm=cube_mm,
        joint_order=tuple(j.name.lower() for j in Joint),
        depth_normalisation="(d - z_c) / (cube_mm / 2) clipped to [-1, 1]; missing depth = 1; nearest-neighbour resize",
        output="(u, v, z) per joint: u, v relative to the crop, [-1, 1] across it; z = (z - z_c) / (cube_mm / 2)",
        config=model.cfg.to_dict(),
        training_data=training_data,
        version=__version__,
    )


def export_onnx(checkpoint: Path, out: Path, opset: int = 17, fp16: bool = False,
                training_data: str | None = None) -> tuple[ModelInfo, float]:
    """Write `out` from a checkpoint; returns its metadata and the max |ORT − torch| error."""
    model = model_from_checkpoint(checkpoint).float()
    ckpt_settings = torch.load(checkpoint, map_location="cpu", weights_only=False).get("settings", {})
    synth = SynthSettings()
    if training_data is None:
        training_data = (f"synthetic (handpose-live {__version__} generator, seed {ckpt_settings.get('seed')})"
                         if ckpt_settings.get("data", "synthetic") == "synthetic" else str(ckpt_settings.get("data")))
    info = model_info(model, synth.cube_mm, training_data)
    wrapper = _FinalStage(model).eval()
    s = model.cfg.input_size
    dummy = torch.zeros(2, 1, s, s)
    if fp16:
        wrapper = wrapper.half()
        dummy = dummy.half()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        torch.onnx.export(
            wrapper, (dummy,), str(tmp), input_names=["depth"], output_names=["uvd"], opset_version=opset,
            dynamic_axes={"depth": {0: "batch"}, "uvd": {0: "batch"}}, dynamo=False,
        )
    proto = onnx.load(str(tmp))
    entry = proto.metadata_props.add()
    entry.key, entry.value = META_KEY, info.to_json()
    proto.doc_string = f"JGR-P2O hand pose network exported by handpose-live {__version__}"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(tmp))
    err = parity_error(model, tmp)
    tmp.replace(out)
    return info, err


def parity_error(model: JGRP2O, onnx_path: Path, count: int = 16) -> float:
    """Max |ONNX Runtime (CPU) − torch| over real synthetic crops and random inputs."""
    crops = generate_samples(TEST_SEED, 0, count // 2)["depth"].astype(np.float32)[:, None]
    rand = np.random.default_rng(0).uniform(-1, 1, size=(count - len(crops), 1, 96, 96)).astype(np.float32)
    x = np.concatenate([crops, rand])
    with torch.no_grad():
        ref = model.float().eval().predict(torch.from_numpy(x)).numpy()
    got = PoseModel(onnx_path, provider="cpu").predict(x)
    return float(np.abs(got - ref).max())
