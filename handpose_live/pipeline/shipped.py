"""The models shipped in `models/`, which one the estimator loads, and what may replace them.

Shipped files are not a scratch folder: exports and quantised copies go elsewhere by default,
and replacing a shipped file needs `force`. On the CPU the pose network runs as its int8 copy,
but only while that copy was made from the shipped fp32 file (its metadata names the file's
SHA-256); a stale copy is passed over, with a note saying why.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from handpose_live.pipeline.onnx_model import PROVIDER_ORDER, ModelError, OnnxModel, usable_providers

MODELS = Path(__file__).resolve().parents[2] / "models"
DEFAULT_MODEL = MODELS / "jgr_p2o.onnx"
DEFAULT_MODEL_INT8 = MODELS / "jgr_p2o_int8.onnx"
DEFAULT_REFINER = MODELS / "com_refiner.onnx"
DEFAULT_COARSE_REFINER = MODELS / "com_coarse.onnx"  # before the refiner, for a hand found anew
DEFAULT_WEIGHTS = MODELS / "jgr_p2o.pt"  # the pose network's torch weights, for `train --init`


def is_shipped(path: Path) -> bool:
    """Whether `path` is one of the model files shipped in models/."""
    path = Path(path).resolve()
    shipped = (DEFAULT_MODEL, DEFAULT_MODEL_INT8, DEFAULT_REFINER, DEFAULT_COARSE_REFINER, DEFAULT_WEIGHTS)
    return any(path == p.resolve() for p in shipped)


def int8_path(path: Path) -> Path:
    """Where the int8 copy of an fp32 model goes by default: NAME_int8.onnx beside it."""
    return Path(path).with_name(f"{Path(path).stem}_int8.onnx")


def check_model_output(path: Path, force: bool = False) -> None:
    """Raise ModelError unless a model may be written to `path`: an .onnx whose folder exists or can be
    made, and that is not an existing file (a shipped model above all) unless `force`."""
    path = Path(path)
    if path.suffix != ".onnx":
        raise ModelError(f"the model to write must be an .onnx file, got {path}")
    if path.exists() and not force:
        if is_shipped(path):
            raise ModelError(f"{path} is a shipped model; write yours elsewhere (the default is beside its "
                             f"checkpoint) and load it with --model, or add --force to replace the shipped one")
        raise ModelError(f"{path} already exists; choose another name or add --force to replace it")
    if path.exists() and not path.is_file():
        raise ModelError(f"{path} exists and is not a file")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex): names the fp32 model an int8 copy was made from."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _int8_out_of_step(int8: OnnxModel) -> str | None:
    """Why the shipped int8 copy cannot stand in for the shipped fp32 model, or None when it can."""
    if DEFAULT_MODEL.exists() and int8.info.source_sha256 == file_sha256(DEFAULT_MODEL):
        return None
    return (f"{DEFAULT_MODEL_INT8.name} was not made from this {DEFAULT_MODEL.name}; remake it with "
            f"`handpose-live quantize --model {DEFAULT_MODEL} --force`")


def load_pose_model(path: Path | None, provider: str = "auto",
                    threads: int | None = None) -> tuple[OnnxModel, list[str]]:
    """The pose network at `path` and notes for the user; for None the shipped one: its int8 copy when
    inference runs on the CPU (about twice as fast for +0.45 mm, models/MODEL_CARD.md), fp32 on a GPU."""
    if path is not None:
        model = OnnxModel(path, provider, threads)
        return model, list(model.notes)
    notes: list[str] = []
    if provider in PROVIDER_ORDER and usable_providers(provider) != ["CPUExecutionProvider"]:
        model = OnnxModel(DEFAULT_MODEL, provider, threads)
        notes = list(model.notes)
        if model.providers_in_use[0] != "CPUExecutionProvider" or not DEFAULT_MODEL_INT8.exists():
            return model, notes
        # A listed GPU provider fell back to the CPU: the int8 copy is faster there.
    if not DEFAULT_MODEL_INT8.exists():
        return OnnxModel(DEFAULT_MODEL, provider, threads), notes
    int8 = OnnxModel(DEFAULT_MODEL_INT8, "cpu", threads)
    stale = _int8_out_of_step(int8)
    if stale is None:
        return int8, notes
    return OnnxModel(DEFAULT_MODEL, "cpu", threads), notes + [f"running the fp32 {DEFAULT_MODEL.name}: {stale}"]
