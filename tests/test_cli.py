import subprocess
import sys

import cv2
import pytest

from handpose_live.cli import main


def test_preview_writes_a_contact_sheet(tmp_path, capsys):
    out = tmp_path / "sheet.png"
    assert main(["synth", "--preview", str(out), "--count", "5", "--seed", "2"]) == 0
    img = cv2.imread(str(out))
    assert img is not None and img.shape[0] > 200 and img.shape[1] > 600
    assert img.std() > 10  # not a blank image
    assert "5 synthetic frames" in capsys.readouterr().out


def test_synth_writes_shards(tmp_path):
    assert main(["synth", "--count", "6", "--out", str(tmp_path / "d"), "--shard-size", "3", "--workers", "1",
                 "--width", "160", "--height", "120"]) == 0
    assert len(list((tmp_path / "d").glob("shard_*.npz"))) == 2


@pytest.mark.parametrize(
    "argv, message",
    [
        (["synth"], "needs --out"),
        (["synth", "--preview", "x.jpg"], ".png"),
        (["synth", "--count", "0", "--preview", "x.png"], "whole number > 0"),
        (["synth", "--count", "ten", "--preview", "x.png"], "whole number > 0"),
        (["synth", "--preview", "x.png", "--count", "1000"], "at most 256"),
        (["synth", "--width", "100", "--height", "100", "--preview", "x.png"], "not a scaled version"),
    ],
)
def test_bad_input_gives_one_sentence_and_exit_2(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        sys.exit(main(argv))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_existing_other_dataset_is_kept(tmp_path, capsys):
    d = tmp_path / "d"
    args = ["synth", "--count", "2", "--out", str(d), "--workers", "1", "--width", "160", "--height", "120"]
    assert main(args + ["--seed", "1"]) == 0
    before = (d / "shard_00000.npz").read_bytes()
    assert main(args + ["--seed", "2"]) == 2
    assert "other settings" in capsys.readouterr().err
    assert (d / "shard_00000.npz").read_bytes() == before


def test_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["synth", "--out", str(f), "--count", "2"]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["synth", "--out", str(tmp_path / "new")]) == 2
    assert "needs --count" in capsys.readouterr().err and not (tmp_path / "new").exists()


def test_help_lists_the_live_options_and_the_commands():
    r = subprocess.run([sys.executable, "-m", "handpose_live.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "Traceback" not in r.stderr
    for word in ("--camera", "--bag", "--headless", "record-synthetic", "synth", "train", "eval", "export"):
        assert word in r.stdout


def test_benchmark_prints_rates(capsys):
    assert main(["synth", "--benchmark", "--count", "20", "--workers", "1", "--width", "160", "--height", "120"]) == 0
    out = capsys.readouterr().out
    assert "ray casts" in out and "training samples, 1 process" in out


_WITHOUT_TRAIN_EXTRA = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'onnx'):
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, Block())
from handpose_live.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("argv, code, says", [
    (["--headless", "--max-frames", "3"], 0, "3 frames in"),
    (["train", "--out", "x"], 2, "install the training extra, pip install 'handpose-live[train]'"),
    (["quantize", "--model", "models/jgr_p2o.onnx", "--out", "q.onnx"], 2, "needs the onnx package"),
])
def test_the_live_app_runs_without_the_training_extra_and_training_says_what_to_install(argv, code, says, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    argv = [str(root / a) if a.startswith("models/") else a for a in argv]
    r = subprocess.run([sys.executable, "-c", _WITHOUT_TRAIN_EXTRA, *argv], capture_output=True, text=True,
                       cwd=tmp_path, timeout=300, check=False)
    assert r.returncode == code and says in r.stderr and "Traceback" not in r.stderr, r.stderr[-800:]
