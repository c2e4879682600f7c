"""Torch weights back from an exported JGR-P2O ONNX file, so that training can go on from a model
whose checkpoint was not kept (the shipped one, trained before `models/jgr_p2o.pt` existed).

The exporter folds every batch norm into the convolution before it. Each fused convolution goes
back into its module (found by the ONNX node's scope name, e.g. `/stem/stem.1/body/body.0/body.0.0/Conv`
→ `stem.1.body.0.0`), and the batch norm after it is rebuilt from statistics measured on synthetic
crops: γ = √(σ² + ε), β = μ + fused bias, running mean μ and variance σ², where μ and σ² are those
of the convolution's output. In eval mode the network then computes exactly what the ONNX file
does; in train mode, on batches like the calibration crops, nearly the same, so training resumes
from the model instead of from a network whose normalisation has been thrown away.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from handpose_live.errors import UserError
from handpose_live.model.export import PARITY_TOLERANCE, FinalStage, parity_error
from handpose_live.model.jgr_p2o import JGRP2O, JGRP2OConfig
from handpose_live.pipeline.onnx_model import META_KEY, ModelInfo
from handpose_live.pipeline.shipped import file_sha256, is_shipped
from handpose_live.synthetic.generator import SynthSettings, generate_samples
from handpose_live.training.common import save_atomic

CALIBRATION_SEED = 7  # not a reserved (validation / test) seed
CALIBRATION_CROPS = 256
PARITY_INPUTS = 32  # half synthetic test crops, half random inputs, as export checks


class OnnxImportError(UserError):
    """An ONNX file that is not an exported JGR-P2O whose weights can be mapped back."""


def module_path(node_name: str) -> str:
    """The torch module path of an exported node's scope: '/stem/stem.1/body/body.0/body.0.0/Conv' →
    'stem.1.body.0.0' (each scope names its module relative to the one before, or extends it)."""
    parts: list[str] = []
    for seg in node_name.strip("/").split("/")[:-1]:
        if parts and seg.startswith(parts[-1] + "."):
            parts[-1] = seg
        else:
            parts.append(seg)
    return ".".join(parts)


def _following_batch_norm(model: nn.Module, conv_path: str) -> str | None:
    """The path of the batch norm right after a convolution in its Sequential, if there is one."""
    parent, _, index = conv_path.rpartition(".")
    container = model.get_submodule(parent) if parent else model
    if not index.isdigit() or not isinstance(container, nn.Sequential) or int(index) + 1 >= len(container):
        return None
    return f"{parent}.{int(index) + 1}" if isinstance(container[int(index) + 1], nn.BatchNorm2d) else None


def import_onnx(path: Path) -> tuple[JGRP2O, ModelInfo]:
    """The JGR-P2O network (eval mode, CPU) whose eval-mode output is that of the ONNX file at `path`."""
    try:
        proto = onnx.load(str(path))
        meta = {p.key: p.value for p in proto.metadata_props}
        info = ModelInfo.from_json(meta[META_KEY])
    except Exception as e:  # noqa: BLE001 - onnx raises many unrelated types for a file that is not a model
        raise OnnxImportError(f"{path} is not an exported handpose-live model ({type(e).__name__})") from None
    if info.architecture != "jgr_p2o":
        raise OnnxImportError(f"{path} is a {info.architecture} model; only the pose network is imported")
    if info.precision != "fp32":
        raise OnnxImportError(f"{path} holds {info.precision} weights; import the fp32 model")
    model = JGRP2O(JGRP2OConfig(**info.config)).eval()
    weights = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    state = model.state_dict()
    filled: set[str] = set()
    fused: dict[str, np.ndarray] = {}  # batch-norm path → the fused bias it must reproduce
    for node in proto.graph.node:
        if node.op_type == "Conv":
            conv_path = module_path(node.name)
            if conv_path + ".weight" not in state or node.input[1] not in weights:
                raise OnnxImportError(f"{path}: its convolution {node.name} has no place in the network of its "
                                      f"metadata; was it exported by handpose-live?")
            state[conv_path + ".weight"] = torch.from_numpy(weights[node.input[1]].copy())
            filled.add(conv_path + ".weight")
            bias = weights[node.input[2]] if len(node.input) > 2 else None
            bn_path = _following_batch_norm(model, conv_path)
            if bn_path is not None:
                fused[bn_path] = bias
            elif bias is not None:
                state[conv_path + ".bias"] = torch.from_numpy(bias.copy())
                filled.add(conv_path + ".bias")
        elif node.op_type == "MatMul" and node.input[1] in weights and "graph_weight" in node.name:
            linear = module_path(node.name)
            state[linear + ".weight"] = torch.from_numpy(weights[node.input[1]].T.copy())
            filled.add(linear + ".weight")
    for bn_path, bias in fused.items():
        n = state[bn_path + ".weight"].shape[0]
        state[bn_path + ".weight"] = torch.ones(n)
        state[bn_path + ".bias"] = torch.from_numpy(bias.copy()) if bias is not None else torch.zeros(n)
        state[bn_path + ".running_mean"] = torch.zeros(n)
        state[bn_path + ".running_var"] = torch.full((n,), 1.0) - model.get_submodule(bn_path).eps
        filled.update(bn_path + "." + k for k in ("weight", "bias", "running_mean", "running_var"))
    learnt = {k for k, v in model.state_dict().items() if v.dtype.is_floating_point and "adjacency" not in k}
    missing = sorted(learnt - filled)
    if missing:
        raise OnnxImportError(f"{path}: no weights found for {len(missing)} tensors of the network (first: {missing[0]})")
    model.load_state_dict(state)
    _calibrate(model, fused)
    return model, info


@torch.no_grad()
def _calibrate(model: JGRP2O, batch_norms: dict[str, np.ndarray]) -> None:
    """Rebuild each identity batch norm from the statistics of its input on synthetic crops."""
    settings = SynthSettings(crop_size=model.cfg.input_size)
    depth = generate_samples(CALIBRATION_SEED, 0, CALIBRATION_CROPS, settings)["depth"].astype(np.float32)
    stats: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    hooks = []
    for path in batch_norms:
        def record(module, inputs, path=path):
            x = inputs[0]
            stats[path] = (x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False))
        hooks.append(model.get_submodule(path).register_forward_pre_hook(record))
    model(torch.from_numpy(depth[:, None]))
    for h in hooks:
        h.remove()
    for path, (mean, var) in stats.items():
        bn: nn.BatchNorm2d = model.get_submodule(path)
        bias = bn.bias.clone()
        bn.weight.copy_(torch.sqrt(var + bn.eps))
        bn.bias.copy_(mean + bias)
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)


def import_weights(model_path: Path, out: Path | None = None, force: bool = False) -> tuple[Path, float]:
    """Write the torch weights of an exported pose network (default: beside it, NAME.pt) as a
    checkpoint `load_trained` and `train --init` read (weights and config, no optimiser state);
    returns the file and export's parity check of it against the ONNX file. An existing file, a
    shipped one above all, is replaced only with `force`; a parity error beyond tolerance writes nothing."""
    model_path = Path(model_path)
    out = Path(out) if out is not None else model_path.with_suffix(".pt")
    if out.suffix != ".pt":
        raise OnnxImportError(f"the weights to write must be a .pt file, got {out}")
    if out.exists() and not force:
        what = "is a shipped file" if is_shipped(out) else "already exists"
        raise OnnxImportError(f"{out} {what}; choose another --out or add --force to replace it")
    if not model_path.is_file():
        raise OnnxImportError(f"model file {model_path} does not exist")
    model, info = import_onnx(model_path)
    error = parity_error(FinalStage(model), model_path, model.cfg.input_size, PARITY_INPUTS)
    if error > PARITY_TOLERANCE:
        raise OnnxImportError(f"the weights taken from {model_path} reproduce it only to {error:.2e} "
                              f"(tolerance {PARITY_TOLERANCE:g}); nothing was written")
    out.parent.mkdir(parents=True, exist_ok=True)
    save_atomic({"architecture": "jgr_p2o", "model": model.state_dict(), "config": model.cfg.to_dict(),
                 "settings": {"data": info.training_data, "imported_from": model_path.name,
                              "source_sha256": file_sha256(model_path)}}, out)
    return out, error
