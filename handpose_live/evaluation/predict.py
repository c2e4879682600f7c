"""A model's predictions on a labelled set: an exported .onnx through ONNX Runtime, or a training
checkpoint (.pt) through torch; and the labelled sets `eval --model` scores on."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from handpose_live.errors import UserError
from handpose_live.evaluation.testset import TEST_SEED, EvalSet

BATCH = 32
MODEL_SUFFIXES = (".onnx", ".pt")


def check_model_file(path: Path) -> None:
    """Raise UserError unless `path` is an existing .onnx or .pt file (checked before the slow work)."""
    if path.suffix not in MODEL_SUFFIXES:
        raise UserError(f"--model must be an .onnx file or a .pt checkpoint, got {path}")
    if not path.is_file():
        raise UserError(f"model file {path} does not exist")


def labelled_set(data_spec: str | None, count: int) -> tuple[EvalSet, str]:
    """The fixed synthetic test set (`count` frames), or a real dataset's frames; with a description."""
    if data_spec is None:
        return EvalSet.synthetic(TEST_SEED, count), f"Synthetic test set: {count} frames, seed {TEST_SEED}"
    from handpose_live.training.datasets import crop_frames, frames_from_spec

    data = EvalSet.from_frames(crop_frames(frames_from_spec(data_spec)))
    return data, f"{data_spec}: {len(data)} frames (joints the dataset does not label are not scored)"


def predict_mm(model_path: Path, data: EvalSet, provider: str = "auto") -> tuple[np.ndarray, str]:
    """Joints in camera mm predicted by the pose model at `model_path` for every crop of `data`, and
    what ran it; raises UserError (ModelError, CheckpointError) for a file that is not a pose model."""
    check_model_file(model_path)
    if model_path.suffix == ".onnx":
        from handpose_live.pipeline.onnx_model import OnnxModel

        model = OnnxModel(model_path, provider)
        if model.info.architecture != "jgr_p2o":
            raise UserError(f"{model_path} is a {model.info.architecture} model; eval scores pose models")
        uvd = np.concatenate([model.predict(data.depth[k: k + BATCH]) for k in range(0, len(data), BATCH)])
        return data.to_mm(uvd), ", ".join(model.providers_in_use)
    try:
        import torch

        from handpose_live.training.common import load_trained
    except ImportError:
        raise UserError("evaluating a .pt checkpoint needs PyTorch; export it to ONNX instead") from None
    model = load_trained(model_path)[0]
    if not hasattr(model, "predict"):
        raise UserError(f"{model_path} is a centre-refiner checkpoint; eval scores pose models")
    with torch.no_grad():
        uvd = np.concatenate([model.predict(torch.from_numpy(data.depth[k: k + BATCH, None])).numpy()
                              for k in range(0, len(data), BATCH)])
    return data.to_mm(uvd), "torch CPU"
