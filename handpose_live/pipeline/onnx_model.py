"""Exported networks (pose, centre refiner) through ONNX Runtime, with their preprocessing read
from the ONNX metadata.

No torch here: this is what the live app and `eval --model x.onnx` run.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

META_KEY = "handpose_live"


from handpose_live.errors import UserError


class ModelError(UserError):
    """A model file that is missing, unreadable or not a handpose-live model."""


@dataclass(frozen=True)
class ModelInfo:
    """Preprocessing and provenance stored in a model's ONNX metadata by `export`."""

    architecture: str
    input_size: int
    cube_mm: float
    joint_order: tuple[str, ...]
    depth_normalisation: str
    output: str
    config: dict
    training_data: str
    version: str
    precision: str = "fp32"  # fp32, fp16 (export --fp16) or int8 (handpose-live quantize)
    source_sha256: str | None = None  # int8 copies: SHA-256 of the fp32 file they were made from

    def to_json(self) -> str:
        """Serialised form written into the ONNX file."""
        return json.dumps({**self.__dict__, "joint_order": list(self.joint_order)})

    @classmethod
    def from_json(cls, text: str) -> "ModelInfo":
        """Parse the metadata written by `to_json`; ModelError if it is not that."""
        try:
            d = json.loads(text)
            d["joint_order"] = tuple(d["joint_order"])
            info = cls(**d)
            int(info.input_size), float(info.cube_mm)
        except (ValueError, TypeError, KeyError) as e:
            raise ModelError(f"its handpose-live metadata is damaged ({type(e).__name__}: {e})") from None
        if info.input_size <= 0 or info.cube_mm <= 0:
            raise ModelError(f"its handpose-live metadata is damaged (input size {info.input_size}, cube {info.cube_mm} mm)")
        return info


PROVIDER_ORDER = {
    "auto": ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
    "tensorrt": ["TensorrtExecutionProvider", "CPUExecutionProvider"],
    "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
    "cpu": ["CPUExecutionProvider"],
}


@contextlib.contextmanager
def _silenced_output():
    """Send this process's stdout and stderr to /dev/null for a moment, at the descriptor level.

    ONNX Runtime prints a banner on stdout and C++ errors on stderr when a GPU provider it
    lists cannot load (no CUDA installed); the provider really in use is reported instead.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        # Its Python layer prints too, to whatever sys.stdout is (not always descriptor 1).
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + [devnull]:
            os.close(fd)


GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")
TRT_CACHE = Path.home() / ".cache" / "handpose-live" / "tensorrt"


def _provider_options(provider: str, model_path: Path) -> dict:
    """Per-provider settings: TensorRT builds fp16 engines and caches them (a build takes
    minutes; the cache is keyed by the model), CUDA searches convolution algorithms once."""
    if provider == "TensorrtExecutionProvider":
        return {"trt_fp16_enable": True, "trt_engine_cache_enable": True,
                "trt_engine_cache_path": str(TRT_CACHE / model_path.stem)}
    if provider == "CUDAExecutionProvider":
        return {"cudnn_conv_algo_search": "EXHAUSTIVE", "do_copy_in_default_stream": True}
    return {}


def usable_providers(provider: str) -> list[str]:
    """The providers of a preference that this ONNX Runtime build lists (a listed GPU provider
    may still fall back to the CPU when a session starts: see OnnxModel.providers_in_use)."""
    import onnxruntime as ort

    available = set(ort.get_available_providers())
    return [p for p in PROVIDER_ORDER[provider] if p in available]


def default_threads() -> int:
    """ONNX Runtime intra-op threads when none are asked for: the usable cores, at most 4 (beyond 4
    this small network gains nothing)."""
    return min(4, len(os.sched_getaffinity(0)))


def spins(threads: int) -> bool:
    """Whether ONNX Runtime's threads may spin-wait between operators: only where they leave a core
    each to the capture and fit threads. On 2 cores, two spinning threads starved those (a replay
    at 70 frames/s); two that sleep when idle fill the time the fit thread leaves (111 against
    103 frames/s with one thread)."""
    return threads <= len(os.sched_getaffinity(0)) - 2


class OnnxModel:
    """An exported handpose-live network: (B, 1, S, S) normalised crops in, its output array out
    (pose: (B, J, 3) normalised joints; refiner: (B, 3) centre offsets)."""

    def __init__(self, path: Path, provider: str = "auto", threads: int | None = None):
        import onnxruntime as ort

        path = self.path = Path(path)
        if not path.is_file():
            raise ModelError(f"model file {path} does not exist")
        if provider not in PROVIDER_ORDER:
            raise ModelError(f"unknown provider {provider!r}; choose one of {', '.join(PROVIDER_ORDER)}")
        ort.set_default_logger_severity(3)  # a missing CUDA install is reported by providers_in_use, not logs
        providers = usable_providers(provider)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        if not spins(options.intra_op_num_threads):
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        quiet = _silenced_output() if providers != ["CPUExecutionProvider"] else contextlib.nullcontext()
        try:
            with quiet:
                self.session = ort.InferenceSession(str(path), options,
                                                    providers=[(p, _provider_options(p, path)) for p in providers])
        except Exception as e:  # onnxruntime raises several unrelated types for bad files
            raise ModelError(f"{path} is not a readable ONNX model ({type(e).__name__})") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        if META_KEY not in meta:
            raise ModelError(f"{path} has no handpose-live metadata; export it with 'handpose-live export'")
        try:
            self.info = ModelInfo.from_json(meta[META_KEY])
        except ModelError as e:
            raise ModelError(f"{path}: {e}") from None
        self.input_name = self.session.get_inputs()[0].name
        self.output_name = self.session.get_outputs()[0].name
        self.input_dtype = np.float16 if "float16" in self.session.get_inputs()[0].type else np.float32
        # On a GPU the crop is the only host→device copy: the output is bound to the device and
        # only its 21×3 numbers come back. One binding serves every call; each call rebinds.
        self.device = "cuda" if self.providers_in_use[0] in GPU_PROVIDERS else "cpu"
        self.io_binding = self.device == "cuda"
        self._binding = None
        self.notes = self._fallback_notes(provider)

    def _fallback_notes(self, provider: str) -> list[str]:
        """One line when a GPU provider asked for by name is not what runs (ORT falls back silently)."""
        wanted = PROVIDER_ORDER[provider][0]
        if provider == "auto" or self.providers_in_use[0] == wanted:
            return []
        name = wanted.replace("ExecutionProvider", "")
        why = ("this ONNX Runtime build has no such provider" if wanted not in usable_providers(provider)
               else "its libraries did not load; it needs CUDA 13 and cuDNN 9")
        return [f"--provider {provider}: {name} is not usable here ({why}); running on the CPU"]

    @property
    def providers_in_use(self) -> list[str]:
        """Execution providers really running the model (CUDA may be listed yet fall back to CPU)."""
        return self.session.get_providers()

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """The network's output for normalised crops (B, 1, S, S) or (B, S, S)."""
        x = np.asarray(crops)
        if x.ndim == 3:
            x = x[:, None]
        x = np.ascontiguousarray(x, dtype=self.input_dtype)
        if self.io_binding:
            binding = self._binding = self._binding or self.session.io_binding()
            binding.bind_cpu_input(self.input_name, x)
            binding.bind_output(self.output_name, self.device)
            self.session.run_with_iobinding(binding)
            out = binding.copy_outputs_to_cpu()[0]
        else:
            out = self.session.run(None, {self.input_name: x})[0]
        return out.astype(np.float32, copy=False)
