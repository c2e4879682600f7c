"""The bench command (pipeline on a replay, model alone) and int8 quantisation, on a tiny model."""
from __future__ import annotations

import json

import numpy as np
import pytest

from handpose_live.cli import main
from handpose_live.evaluation.testset import TEST_SEED
from handpose_live.model.quantize import quantize_int8
from handpose_live.pipeline import shipped
from handpose_live.pipeline.onnx_model import ModelError, OnnxModel
from handpose_live.runtime.recordings import write_synthetic_recording
from handpose_live.synthetic.generator import generate_samples


@pytest.fixture(scope="module")
def short_bag(tmp_path_factory):
    """Eight 320×240 frames of the synthetic camera (the benchmark loops a short recording)."""
    path = tmp_path_factory.mktemp("bench") / "short.bag"
    write_synthetic_recording(path, 8, size=(320, 240), progress=False)
    return path


@pytest.fixture(scope="module")
def tiny_int8(tiny_onnx, tmp_path_factory):
    out = tmp_path_factory.mktemp("int8") / "tiny_int8.onnx"
    quantize_int8(tiny_onnx, out, calibration_count=8)
    return out


def test_bench_pipeline_and_model_table_and_json(tiny_onnx, short_bag, tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--model", str(tiny_onnx), "--bag", str(short_bag), "--frames", "12", "--warmup", "2",
                 "--runs", "2", "--provider", "cpu", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "pipeline · CPU" in printed and "median ms" in printed and "p95 ms" in printed
    figures = json.loads(out.read_text())
    pipe = figures["pipeline"]
    assert pipe["fps"] > 0 and pipe["frames"] == 12  # the 8-frame recording looped
    assert {"detect", "crop", "infer", "post", "total"} <= set(pipe["stages_ms"]) or pipe["hands_found"] == 0
    assert pipe["stages_ms"]["total"]["p95"] >= pipe["stages_ms"]["total"]["median"] > 0
    assert figures["model"]["batch1_ms"] > 0 and figures["model"]["batch32_ms"] > 0
    assert figures["providers"]["CPU"]["model"]["precision"] == "fp32"


@pytest.mark.parametrize("argv, message", [
    (["bench", "--bag", "missing.bag"], "does not exist"),
    (["bench", "--model", "missing.onnx"], "does not exist"),
    (["bench", "--json", "no/such/folder/b.json"], "does not exist"),
])
def test_bench_bad_input_is_one_sentence(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_int8_copy_keeps_metadata_and_outputs(tmp_path):
    # The shipped network: an untrained one has near-constant activations that int8 flattens.
    fp32 = OnnxModel(shipped.DEFAULT_MODEL, "cpu")
    int8 = OnnxModel(quantize_int8(shipped.DEFAULT_MODEL, tmp_path / "int8.onnx", calibration_count=16).path, "cpu")
    assert int8.info.precision == "int8" and fp32.info.precision == "fp32"
    assert (int8.info.cube_mm, int8.info.input_size, int8.info.joint_order) == \
        (fp32.info.cube_mm, fp32.info.input_size, fp32.info.joint_order)
    x = generate_samples(TEST_SEED, 0, 8)["depth"].astype(np.float32)[:, None]
    a, b = fp32.predict(x), int8.predict(x)
    # Normalised units (1 = half the 250 mm cube): a mean change under 3 mm, none over 37 mm (with
    # only 16 calibration crops here an outlying coordinate moves most).
    assert np.abs(a - b).mean() < 0.024 and np.abs(a - b).max() < 0.3


def test_quantize_refuses_bad_input(tiny_onnx, tiny_int8, tmp_path, capsys):
    with pytest.raises(ModelError, match="already int8"):
        quantize_int8(tiny_int8, tmp_path / "again.onnx", calibration_count=2)
    before = tiny_int8.read_bytes()
    assert main(["quantize", "--model", str(tiny_onnx), "--out", str(tiny_int8)]) == 2  # exists, no --force
    assert tiny_int8.read_bytes() == before
    assert main(["quantize", "--model", str(tmp_path / "none.onnx"), "--out", str(tmp_path / "x.onnx")]) == 2
    assert not (tmp_path / "x.onnx").exists()
    err = capsys.readouterr().err
    assert err.count("error:") == 2 and "add --force" in err


def test_quantize_writes_beside_its_model_by_default_and_replaces_only_with_force(tiny_onnx, tmp_path):
    src = tmp_path / "mine.onnx"
    src.write_bytes(tiny_onnx.read_bytes())
    assert main(["quantize", "--model", str(src), "--calibration", "2"]) == 0
    out = tmp_path / "mine_int8.onnx"
    assert OnnxModel(out, "cpu").info.source_sha256 == shipped.file_sha256(src)
    assert main(["quantize", "--model", str(src), "--calibration", "2"]) == 2
    assert main(["quantize", "--model", str(src), "--calibration", "2", "--force"]) == 0


def test_shipped_models_are_refused_as_output_without_force(capsys):
    before = shipped.DEFAULT_MODEL_INT8.stat().st_mtime_ns
    assert main(["quantize", "--model", str(shipped.DEFAULT_MODEL), "--calibration", "2"]) == 2
    err = capsys.readouterr().err
    assert "is a shipped model" in err and "--force" in err and err.count("\n") == 1
    assert shipped.DEFAULT_MODEL_INT8.stat().st_mtime_ns == before
    with pytest.raises(ModelError, match="shipped model"):
        shipped.check_model_output(shipped.DEFAULT_REFINER)
    shipped.check_model_output(shipped.DEFAULT_REFINER, force=True)  # allowed, on request


def test_shipped_model_is_int8_on_the_cpu_while_in_step(tiny_onnx, monkeypatch, tmp_path):
    fp32, int8 = tmp_path / "fp32.onnx", tmp_path / "fp32_int8.onnx"
    fp32.write_bytes(tiny_onnx.read_bytes())
    quantize_int8(fp32, int8, calibration_count=2)
    monkeypatch.setattr(shipped, "DEFAULT_MODEL", fp32)
    monkeypatch.setattr(shipped, "DEFAULT_MODEL_INT8", int8)
    model, notes = shipped.load_pose_model(None, "cpu")
    assert model.path == int8 and notes == []
    assert shipped.load_pose_model(tiny_onnx, "cpu")[0].path == tiny_onnx  # a named model is used as it is
    # A new fp32 model (as after an export) leaves the int8 copy stale: the fp32 one runs, a note says why.
    import onnx

    proto = onnx.load(str(fp32))
    proto.doc_string = "another export"
    onnx.save(proto, str(fp32))
    model, notes = shipped.load_pose_model(None, "cpu")
    assert model.path == fp32 and len(notes) == 1 and "quantize" in notes[0] and "--force" in notes[0]
    monkeypatch.setattr(shipped, "DEFAULT_MODEL_INT8", tmp_path / "absent.onnx")
    assert shipped.load_pose_model(None, "cpu")[0].path == fp32


def test_the_shipped_int8_copy_is_in_step_with_the_shipped_model():
    model, notes = shipped.load_pose_model(None, "cpu")
    assert model.path == shipped.DEFAULT_MODEL_INT8 and notes == []


def test_a_gpu_provider_that_is_not_usable_is_said_in_one_line(tiny_onnx):
    model = OnnxModel(tiny_onnx, "cuda")
    if model.providers_in_use[0] == "CUDAExecutionProvider":
        pytest.skip("CUDA runs here")
    assert len(model.notes) == 1 and "CUDA is not usable here" in model.notes[0] and "CPU" in model.notes[0]
    assert OnnxModel(tiny_onnx, "auto").notes == [] and OnnxModel(tiny_onnx, "cpu").notes == []


def test_soak_writes_every_frame_and_reports_memory(tiny_onnx, short_bag, tmp_path, capsys):
    out = tmp_path / "soak.jsonl"
    # 20 frames loop the 8-frame recording twice; the memory limit is loose for such a short run.
    assert main(["soak", "--frames", "20", "--warmup", "5", "--every", "5", "--max-growth", "0.5",
                 "--bag", str(short_bag), "--model", str(tiny_onnx), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "20 lines" in printed and "consecutive" in printed and "resident memory (MB)" in printed
    assert [json.loads(line)["frame"] for line in out.read_text().splitlines()] == list(range(20))
    assert main(["soak", "--frames", "5", "--bag", str(short_bag), "--output", str(out)]) == 2  # kept, not overwritten
    assert len(out.read_text().splitlines()) == 20


def test_io_binding_path_matches_plain_run(tiny_onnx):
    # The GPU path binds input and output; on the CPU the same calls must give the same numbers.
    model = OnnxModel(tiny_onnx, "cpu")
    x = np.random.default_rng(2).uniform(-1, 1, (3, 1, 96, 96)).astype(np.float32)
    plain = model.predict(x)
    model.io_binding = True
    np.testing.assert_array_equal(model.predict(x), plain)
