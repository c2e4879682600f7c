import csv
import json
import sys

import numpy as np
import pytest
import torch

from handpose_live.cli import main
from handpose_live.evaluation.metrics import score, success_curve
from handpose_live.evaluation.testset import TEST_SEED
from handpose_live.evaluation.toolkit import TOOLKIT_CAMERAS, EvalFileError, read_uvd_file, score_files, write_uvd_file
from handpose_live.model.export import export_onnx
from handpose_live.model.jgr_p2o import JGRP2OConfig
from handpose_live.pipeline.onnx_model import ModelError, OnnxModel
from handpose_live.training.data import SyntheticStream
from handpose_live.training.train import BEST, CHECKPOINT, LOG, TrainSettings, train

TINY = JGRP2OConfig(num_stacks=1, channels=32)


def _tiny_run(out, epochs=2):
    return TrainSettings(out_dir=str(out), model=TINY, epochs=epochs, steps_per_epoch=3, batch_size=4, val_count=8,
                         workers=0, lr=1e-3)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    figures = train(_tiny_run(out), progress=False)
    return out, figures


def test_training_writes_checkpoints_log_and_resumes(trained):
    out, figures = trained
    assert (out / CHECKPOINT).is_file() and (out / BEST).is_file()
    assert figures["epoch"] == 2 and np.isfinite(figures["val_mean_mm"])
    train(_tiny_run(out, epochs=3), progress=False)
    rows = list(csv.DictReader((out / LOG).open()))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert float(rows[2]["lr"]) == pytest.approx(1e-3 * 0.96**2, rel=1e-2)
    assert int(rows[2]["samples"]) == 3 * 3 * 4


def test_resume_refuses_another_architecture(trained, tmp_path):
    out, _ = trained
    other = TrainSettings(out_dir=str(out), model=JGRP2OConfig(num_stacks=1, channels=64), epochs=5, workers=0)
    with pytest.raises(ValueError, match="another model configuration"):
        train(other, progress=False)


def test_reserved_seeds_are_never_trained_on():
    with pytest.raises(ValueError, match="reserved"):
        SyntheticStream(TEST_SEED)


def test_stream_readers_do_not_overlap():
    it = iter(SyntheticStream(5, start=0, augmentation=None))
    a = [next(it)[1] for _ in range(3)]
    it2 = iter(SyntheticStream(5, start=1, augmentation=None))
    torch.testing.assert_close(next(it2)[1], a[1])


def test_export_parity_and_metadata(trained, tmp_path):
    out, _ = trained
    onnx_path = tmp_path / "m.onnx"
    info, err = export_onnx(out / BEST, onnx_path)
    assert err < 1e-4
    model = OnnxModel(onnx_path, provider="cpu")
    assert model.info.cube_mm == 250.0 and model.info.input_size == 96
    assert model.info.joint_order[0] == "wrist" and len(model.info.joint_order) == 21
    assert model.info.config["channels"] == 32
    assert model.providers_in_use == ["CPUExecutionProvider"]
    for batch in (1, 5):  # dynamic batch
        assert model.predict(np.zeros((batch, 96, 96), np.float32)).shape == (batch, 21, 3)
    # The CLI evaluates the exported model on the synthetic test set.
    assert main(["eval", "--model", str(onnx_path), "--count", "10", "--out", str(tmp_path / "ev")]) == 0
    assert (tmp_path / "ev" / "success_curve.png").is_file()
    # And times it against torch eager.
    bench_json = tmp_path / "bench.json"
    assert main(["bench", "--model-only", "--model", str(onnx_path), "--checkpoint", str(out / BEST), "--runs", "2", "--provider",
                 "cpu", "--json", str(bench_json)]) == 0
    figures = json.loads(bench_json.read_text())
    assert figures["model"]["batch1_ms"] > 0 and figures["torch"]["batch32_ms"] > 0


def test_pose_model_errors(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        OnnxModel(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a readable ONNX model"):
        OnnxModel(bad)


def test_metric_on_hand_made_fixture():
    gt = np.zeros((2, 3, 3))
    pred = gt.copy()
    pred[0, 0] = [3.0, 4.0, 0.0]  # 5 mm
    pred[1, 2] = [0.0, 0.0, 30.0]  # 30 mm
    s = score(pred, gt)
    assert s.mean_mm == pytest.approx(35.0 / 6)
    np.testing.assert_allclose(s.per_joint_mm, [2.5, 0.0, 15.0])
    assert s.success_at(5) == 0.5 and s.success_at(29) == 0.5 and s.success_at(30) == 1.0
    np.testing.assert_allclose(success_curve(np.array([[1.0, 50.0]]), np.array([0, 49, 50])), [0, 0, 1])


def test_toolkit_files_round_trip_and_scoring(tmp_path):
    cam = TOOLKIT_CAMERAS["icvl"]
    rng = np.random.default_rng(0)
    xyz = rng.uniform([-50, -50, 300], [50, 50, 400], (4, 16, 3))
    moved = xyz + np.array([0.0, 0.0, 10.0])  # every joint 10 mm further away
    write_uvd_file(tmp_path / "gt.txt", cam.project(xyz))
    write_uvd_file(tmp_path / "pred.txt", cam.project(moved))
    np.testing.assert_allclose(read_uvd_file(tmp_path / "gt.txt", 16), cam.project(xyz), atol=1e-4)
    s = score_files(tmp_path / "gt.txt", tmp_path / "pred.txt", "icvl")
    assert s.mean_mm == pytest.approx(10.0, abs=1e-3) and s.frames == 4


def test_toolkit_file_errors(tmp_path):
    (tmp_path / "short.txt").write_text("1 2 3\n")
    with pytest.raises(EvalFileError, match="line 1 .* has 3 numbers, expected 48"):
        read_uvd_file(tmp_path / "short.txt", 16)
    (tmp_path / "word.txt").write_text("a " * 48 + "\n")
    with pytest.raises(EvalFileError, match="not a number"):
        read_uvd_file(tmp_path / "word.txt", 16)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(EvalFileError, match="no frames"):
        read_uvd_file(tmp_path / "empty.txt", 16)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["eval"], "either --model"),
        (["eval", "--model", "nothing.onnx"], "does not exist"),
        (["eval", "--model", "model.h5"], ".onnx file or a .pt"),
        (["eval", "--pred", "p.txt", "--dataset", "nyu"], "--gt FILE"),
        (["eval", "--pred", "p.txt", "--gt", "g.txt", "--dataset", "nyu"], "does not exist"),
        (["export", "--checkpoint", "none.pt", "--out", "m.onnx"], "does not exist"),
        (["train", "--out", "r", "--data", "no_such_folder"], "must be 'synthetic', a folder"),
        (["train", "--out", "r", "--stacks", "4"], "1, 2 or 3"),
        (["train", "--out", "r", "--data", "icvl:only_one_part"], "icvl:DEPTH_DIR:LABEL_FILE"),
        (["train", "--out", "r", "--seed", "1000003"], "reserved"),
        (["train-refiner", "--out", "r", "--seed", "1000001"], "reserved"),
        (["train", "--out", "r", "--init", "none.pt"], "does not exist"),
        (["import-onnx", "--model", "none.onnx", "--out", "w.pt"], "does not exist"),
        (["import-onnx", "--model", "m.onnx", "--out", "w.onnx"], "must be a .pt file"),
    ],
)
def test_cli_errors_exit_2_with_one_sentence(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()  # nothing is created for a refused run


def test_distributed_training_under_torchrun(tmp_path):
    import subprocess
    from pathlib import Path

    torchrun = Path(sys.executable).parent / "torchrun"
    out = tmp_path / "ddp"
    r = subprocess.run(
        [str(torchrun), "--nproc_per_node", "2", "-m", "handpose_live.cli", "train", "--out", str(out), "--epochs",
         "1", "--steps-per-epoch", "2", "--batch-size", "2", "--val-count", "4", "--workers", "0", "--stacks", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    rows = list(csv.DictReader((out / LOG).open()))
    assert rows[0]["samples"] == str(2 * 2 * 2)  # steps × batch × 2 processes


def test_time_budget_stops_mid_epoch_and_resume_finishes_it(tmp_path):
    from dataclasses import replace

    from handpose_live.training.common import load_checkpoint

    settings = replace(_tiny_run(tmp_path, epochs=1), max_minutes=1e-6)
    assert train(settings, progress=False) == {}  # stopped after the first step, before any validation
    ckpt = load_checkpoint(tmp_path / CHECKPOINT)
    assert (ckpt["epoch"], ckpt["step"]) == (0, 1)
    assert not (tmp_path / BEST).exists() and not (tmp_path / LOG).exists()
    figures = train(replace(settings, max_minutes=None), progress=False)
    assert figures["epoch"] == 1 and (tmp_path / BEST).is_file()
    assert load_checkpoint(tmp_path / CHECKPOINT)["step"] == 0


def test_weights_come_back_out_of_an_exported_model_and_training_goes_on_from_them(trained, tmp_path, capsys):
    from handpose_live.model.onnx_import import OnnxImportError, import_weights, module_path
    from handpose_live.training.common import load_trained

    assert module_path("/stem/stem.1/body/body.0/body.0.0/Conv") == "stem.1.body.0.0"
    assert module_path("/stages.1/jgr/local/local.0/Conv") == "stages.1.jgr.local.0"
    out, _ = trained
    onnx_path = tmp_path / "trained.onnx"
    export_onnx(out / BEST, onnx_path)  # batch norms folded into the convolutions
    weights, error = import_weights(onnx_path, tmp_path / "back.pt")
    assert error < 1e-4
    original, _ = load_trained(out / BEST)
    back, settings = load_trained(weights)
    assert back.cfg == original.cfg and settings["imported_from"] == "trained.onnx"
    crops = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (4, 1, 96, 96)).astype(np.float32))
    with torch.no_grad():
        np.testing.assert_allclose(back.predict(crops).numpy(), original.predict(crops).numpy(), atol=1e-4)
    with pytest.raises(OnnxImportError, match="already exists"):
        import_weights(onnx_path, weights)
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(OnnxImportError, match="not an exported handpose-live model"):
        import_weights(tmp_path / "junk.onnx", tmp_path / "junk.pt")
    # train --init starts a new run from the weights (its configuration taken from them).
    assert main(["train", "--init", str(weights), "--out", str(tmp_path / "more"), "--epochs", "1",
                 "--steps-per-epoch", "1", "--batch-size", "2", "--val-count", "4", "--workers", "0",
                 "--stacks", "1"]) == 0
    assert "Starting from the weights of" in capsys.readouterr().out
    assert main(["train", "--init", str(weights), "--out", str(tmp_path / "clash"), "--stacks", "2"]) == 2
    assert "num_stacks=1" in capsys.readouterr().err and not (tmp_path / "clash").exists()


def test_the_gpu_recipe_trains_exports_quantises_and_scores_on_a_tiny_budget(trained, tmp_path):
    from handpose_live.training.recipe import main as recipe

    out, _ = trained
    run = tmp_path / "gpu"
    # Two epochs end the run, not the budget: a budget of seconds ran out before one epoch on a busy CPU.
    assert recipe(["--out", str(run), "--minutes", "5", "--epochs", "2", "--init", str(out / BEST),
                   "--steps-per-epoch", "2",
                   "--batch-size", "2", "--val-count", "4", "--test-count", "8", "--workers", "0",
                   "--device", "cpu"]) == 0
    figures = json.loads((run / "figures.json").read_text())
    assert {"new fp32", "new int8", "shipped fp32"} <= set(figures["scores"])
    assert figures["parity_max_abs"] < 1e-4 and (run / "best_int8.onnx").is_file()
    card = (run / "card.md").read_text()
    assert "| new fp32 |" in card and "Verdict: not better than the shipped model" in card  # random tiny weights
    assert recipe(["--out", str(run), "--minutes", "0"]) == 2


def test_cosine_schedule_warms_up_and_ends_low_at_the_last_step(tmp_path):
    from dataclasses import replace

    from handpose_live.training.common import load_checkpoint
    from handpose_live.training.schedule import FINAL_LR, WARMUP, cosine_lr

    assert cosine_lr(1.0, 0.0) == pytest.approx(0.1) and cosine_lr(1.0, WARMUP) == pytest.approx(1.0)
    assert cosine_lr(1.0, 1.0) == pytest.approx(FINAL_LR)
    after = [cosine_lr(1.0, p) for p in np.linspace(WARMUP, 1.0, 20)]
    assert all(a > b for a, b in zip(after, after[1:]))
    settings = replace(_tiny_run(tmp_path, epochs=2), schedule="cosine")
    train(settings, progress=False)
    rows = list(csv.DictReader((tmp_path / LOG).open()))
    # The log's lr is that of each epoch's last step: 5 of the run's 6 steps done before it.
    assert float(rows[1]["lr"]) == pytest.approx(cosine_lr(1e-3, 5 / 6), rel=1e-2)
    assert load_checkpoint(tmp_path / CHECKPOINT)["progress"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown schedule"):
        replace(settings, schedule="linear")
