"""Export a trained checkpoint (JGR-P2O or the centre refiner) to ONNX with its preprocessing in the metadata, and check
that ONNX Runtime reproduces torch."""
from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnx
import torch

from handpose_live import __version__
from handpose_live.evaluation.testset import TEST_SEED
from handpose_live.joints import Joint
from handpose_live.model.com_refiner import ComRefiner
from handpose_live.model.jgr_p2o import JGRP2O
from handpose_live.pipeline.onnx_model import META_KEY, ModelInfo, OnnxModel
from handpose_live.pipeline.shipped import DEFAULT_MODEL, DEFAULT_MODEL_INT8, check_model_output
from handpose_live.synthetic.generator import SynthSettings, generate_samples
from handpose_live.training.common import load_trained

PARITY_TOLERANCE = 1e-4
FP16_TOLERANCE = 5e-2


class FinalStage(torch.nn.Module):
    """Export view of the network: normalised crops in, final-stage normalised joints out."""

    def __init__(self, model: JGRP2O):
        super().__init__()
        self.model = model

    def forward(self, depth: torch.Tensor) -> torch.Tensor:
        return self.model.predict(depth)


def model_info(model: JGRP2O | ComRefiner, cube_mm: float, training_data: str) -> ModelInfo:
    """The metadata that travels with an exported model (`cube_mm`: the pose network's; a refiner's is its own)."""
    norm = "(d - z_c) / (cube_mm / 2) clipped to [-1, 1]; missing depth = 1; nearest-neighbour resize"
    if isinstance(model, ComRefiner):
        return ModelInfo(
            architecture="com_refiner", input_size=model.cfg.input_size, cube_mm=model.cfg.cube_mm,
            joint_order=("middle_mcp",), depth_normalisation=norm,
            output="(x, y, z) offset from the crop centre to the middle-finger MCP, camera frame, in units of "
            "cube_mm / 2", config=model.cfg.to_dict(), training_data=training_data, version=__version__,
        )
    return ModelInfo(
        architecture="jgr_p2o", input_size=model.cfg.input_size, cube_mm=cube_mm,
        joint_order=tuple(j.name.lower() for j in Joint), depth_normalisation=norm,
        output="(u, v, z) per joint: u, v relative to the crop, [-1, 1] across it; z = (z - z_c) / (cube_mm / 2)",
        config=model.cfg.to_dict(), training_data=training_data, version=__version__,
    )


def export_onnx(checkpoint: Path, out: Path, opset: int = 17, fp16: bool = False,
                training_data: str | None = None) -> tuple[ModelInfo, float]:
    """Write `out` from a checkpoint; returns its metadata and the max |ORT − torch| error."""
    model, ckpt_settings = load_trained(checkpoint)
    if training_data is None:
        data = ckpt_settings.get("data", "synthetic")
        training_data = (f"synthetic (handpose-live {__version__} generator, seed {ckpt_settings.get('seed')})"
                         if data == "synthetic" else str(data))
    info = model_info(model, SynthSettings().cube_mm, training_data)
    if fp16:
        info = replace(info, precision="fp16")
    module = FinalStage(model) if isinstance(model, JGRP2O) else model
    s = model.cfg.input_size
    dummy = torch.zeros(2, 1, s, s)
    export_module = module
    if fp16:
        export_module = copy.deepcopy(module).half()
        dummy = dummy.half()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.onnx")
    output = "uvd" if isinstance(model, JGRP2O) else "offset"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        torch.onnx.export(
            export_module, (dummy,), str(tmp), input_names=["depth"], output_names=[output], opset_version=opset,
            dynamic_axes={"depth": {0: "batch"}, output: {0: "batch"}}, dynamo=False,
        )
    proto = onnx.load(str(tmp))
    entry = proto.metadata_props.add()
    entry.key, entry.value = META_KEY, info.to_json()
    proto.doc_string = f"{info.architecture} network exported by handpose-live {__version__}"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(tmp))
    err = parity_error(module, tmp, s)
    tmp.replace(out)
    return info, err


def parity_error(module: torch.nn.Module, onnx_path: Path, size: int, count: int = 16) -> float:
    """Max |ONNX Runtime (CPU) − torch| over real synthetic crops and random inputs."""
    crops = generate_samples(TEST_SEED, 0, count // 2)["depth"].astype(np.float32)[:, None]
    rand = np.random.default_rng(0).uniform(-1, 1, size=(count - len(crops), 1, size, size)).astype(np.float32)
    x = np.concatenate([crops, rand])
    with torch.no_grad():
        ref = module.float().eval()(torch.from_numpy(x)).numpy()
    got = OnnxModel(onnx_path, provider="cpu").predict(x)
    return float(np.abs(got - ref).max())


@dataclass(frozen=True)
class ExportReport:
    """What `export_model` wrote and how closely ONNX Runtime reproduces torch."""

    path: Path
    info: ModelInfo
    parity_error: float  # max |ORT - torch| over synthetic crops and random inputs
    tolerance: float
    int8_path: Path | None  # the int8 copy remade beside a replaced shipped model

    @property
    def parity_ok(self) -> bool:
        """Whether the parity error is within tolerance."""
        return self.parity_error < self.tolerance


def default_output(checkpoint: Path) -> Path:
    """Where an export goes when no --out is given: beside its checkpoint (runs/x/best.pt → best.onnx)."""
    return Path(checkpoint).with_suffix(".onnx")


def export_model(checkpoint: Path, out: Path | None = None, opset: int = 17, fp16: bool = False,
                 force: bool = False) -> ExportReport:
    """Export `checkpoint` to `out` (default beside it) and check it against torch; an existing file,
    a shipped model above all, is replaced only with `force`, and replacing the shipped fp32 pose
    network remakes its int8 copy, which the CPU runs. Raises UserError subclasses for bad input."""
    out = Path(out) if out is not None else default_output(checkpoint)
    check_model_output(out, force)
    info, err = export_onnx(Path(checkpoint), out, opset, fp16)
    int8 = None
    if out.resolve() == DEFAULT_MODEL.resolve() and info.architecture == "jgr_p2o" and not fp16:
        from handpose_live.model.quantize import quantize_int8

        quantize_int8(out, DEFAULT_MODEL_INT8)
        int8 = DEFAULT_MODEL_INT8
    return ExportReport(out, info, err, FP16_TOLERANCE if fp16 else PARITY_TOLERANCE, int8)
