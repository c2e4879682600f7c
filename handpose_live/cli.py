"""Command line of handpose-live: one subcommand per job.

Input errors print one sentence and exit with status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from handpose_live import __version__
from handpose_live.sources.factory import CAMERAS

if TYPE_CHECKING:
    from handpose_live.synthetic.generator import SynthSettings

EXIT_USAGE = 2
TEST_COUNT = 2000  # frames of the fixed synthetic test set (seed evaluation.TEST_SEED)
PREVIEW_COUNT = 16
BENCHMARK_COUNT = 1000


class UsageError(Exception):
    """Bad input from the user: reported as one sentence, exit status 2."""


def _number(parse: type, minimum: float, strict: bool, example: str):
    """An argparse type: a number of type `parse` above (strict) or at least `minimum`."""
    what = {int: "whole number", float: "number"}[parse]
    bound = f"> {minimum:g}" if strict else f"≥ {minimum:g}"

    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            value = None
        if value is None or not (value > minimum if strict else value >= minimum):
            raise argparse.ArgumentTypeError(f"expected a {what} {bound}, got {text!r} (example: {example})")
        return value

    return convert


_positive_int = _number(int, 0, strict=True, example="1000")
_nonnegative_int = _number(int, 0, strict=False, example="0")
_positive_float = _number(float, 0.0, strict=True, example="0.0001")


def _cmd_synth(args: argparse.Namespace) -> int:
    """Write synthetic training shards and/or a preview contact sheet."""
    from handpose_live.synthetic.generator import SynthSettings

    if args.benchmark:
        return _synth_benchmark(args)
    if args.out is None and args.preview is None:
        raise UsageError(
            "synth needs --out DIR (training shards), --preview FILE.png (contact sheet) or --benchmark"
        )
    if args.out is not None and args.count is None:
        raise UsageError("synth --out needs --count N, the number of samples to write (example: --count 100000)")
    if args.preview is not None and args.preview.suffix.lower() != ".png":
        raise UsageError(f"--preview must name a .png file, got {args.preview}")
    try:
        settings = SynthSettings(width=args.width, height=args.height)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.out is not None:
        from handpose_live.synthetic.shards import ShardError, write_shards

        if args.out.exists() and not args.out.is_dir():
            raise UsageError(f"--out {args.out} exists and is not a folder")
        try:
            paths = write_shards(args.out, args.count, args.seed, args.workers, args.shard_size, settings)
        except ShardError as e:
            raise UsageError(str(e)) from None
        print(f"Wrote {args.count} samples in {len(paths)} shards to {args.out}")
    if args.preview is not None:
        count = PREVIEW_COUNT if args.count is None else min(args.count, 64 if args.out is not None else args.count)
        _write_preview(args.preview, count, args.seed, settings)
    return 0


def _synth_benchmark(args: argparse.Namespace) -> int:
    """Print the generator's throughput at the requested resolution."""
    import os

    from handpose_live.synthetic.benchmark import full_frame_rate, renders_per_second, samples_per_second
    from handpose_live.synthetic.generator import SynthSettings

    try:
        settings = SynthSettings(width=args.width, height=args.height)
    except ValueError as e:
        raise UsageError(str(e)) from None
    workers = args.workers or os.cpu_count() or 1
    n = args.count or BENCHMARK_COUNT
    print(f"synthetic engine at {args.width}x{args.height}:")
    print(f"  ray casts (hand + forearm, no noise), 1 core: {renders_per_second(settings):8.1f} /s")
    print(f"  full frames with crop (scene + sensor), 1 core: {full_frame_rate(settings):6.1f} /s")
    one = samples_per_second(settings, n, 1, args.seed)
    print(f"  training samples, 1 process: {one:8.1f} /s")
    if workers > 1:
        many = samples_per_second(settings, n * workers, workers, args.seed)
        print(f"  training samples, {workers} processes: {many:8.1f} /s")
    return 0


def _write_preview(path: Path, count: int, seed: int, settings: "SynthSettings") -> None:
    """Render `count` frames of `seed` into a contact sheet PNG."""
    import cv2

    from handpose_live.synthetic.generator import make_sample, render_frame, sample_rng
    from handpose_live.synthetic.preview import contact_sheet, frame_tile

    if count > 256:
        raise UsageError(f"a preview shows at most 256 frames, asked for {count}")
    tiles = []
    for k in range(count):
        rng = sample_rng(seed, k)
        frame = render_frame(rng, settings)
        tiles.append(frame_tile(frame, make_sample(frame, rng, settings)))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), contact_sheet(tiles)):
        raise UsageError(f"could not write {path}")
    print(f"Wrote a preview of {count} synthetic frames to {path}")


def _cmd_train(args: argparse.Namespace) -> int:
    """Train JGR-P2O on synthetic data (on the fly or shards) or a real dataset."""
    try:
        from handpose_live.model.jgr_p2o import JGRP2OConfig
        from handpose_live.training.train import TrainSettings, train
    except ImportError as e:
        raise UsageError(f"training needs PyTorch, which is not installed here ({e.name})") from None
    from handpose_live.datasets import DatasetError, is_dataset_spec

    if args.data != "synthetic" and not is_dataset_spec(args.data) and not Path(args.data).is_dir():
        raise UsageError(
            f"--data must be 'synthetic', a folder written by 'synth --out', msra:ROOT, "
            f"icvl:DEPTH_DIR:LABEL_FILE or nyu:SPLIT_DIR:LABEL_FILE; got {args.data}"
        )
    if args.stacks not in (1, 2, 3):
        raise UsageError(f"--stacks must be 1, 2 or 3, got {args.stacks}")
    model = JGRP2OConfig(num_stacks=args.stacks, use_jgr=not args.no_jgr, offset_loss=not args.no_offset_loss)
    try:
        settings = TrainSettings(
            out_dir=str(args.out), model=model, data=args.data, seed=args.seed, epochs=args.epochs,
            steps_per_epoch=args.steps_per_epoch, batch_size=args.batch_size, lr=args.lr, lr_decay=args.lr_decay,
            augment=not args.no_augment, workers=args.workers, val_count=args.val_count, device=args.device,
            max_minutes=args.max_minutes,
        )
        figures = train(settings, resume=not args.restart)
    except (ValueError, FileNotFoundError, DatasetError) as e:
        raise UsageError(str(e)) from None
    if figures:
        print(f"Done: validation mean error {figures['val_mean_mm']:.2f} mm after epoch {figures['epoch']}; "
              f"checkpoints in {args.out}")
    return 0


def _predict(model_path: Path, data, provider: str):
    """Millimetre predictions of an .onnx or .pt model on an EvalSet."""
    import numpy as np

    if model_path.suffix == ".onnx":
        from handpose_live.pipeline.onnx_model import ModelError, OnnxModel

        try:
            model = OnnxModel(model_path, provider)
        except ModelError as e:
            raise UsageError(str(e)) from None
        if model.info.architecture != "jgr_p2o":
            raise UsageError(f"{model_path} is a {model.info.architecture} model; eval scores pose models")
        uvd = np.concatenate([model.predict(data.depth[k : k + 32]) for k in range(0, len(data), 32)])
        return data.to_mm(uvd), ", ".join(model.providers_in_use)
    if model_path.suffix == ".pt":
        try:
            import torch

            from handpose_live.training.common import load_trained
        except ImportError:
            raise UsageError("evaluating a .pt checkpoint needs PyTorch; export it to ONNX instead") from None
        if not model_path.is_file():
            raise UsageError(f"checkpoint {model_path} does not exist")
        try:
            model = load_trained(model_path)[0]
        except Exception as e:  # torch raises many types for foreign or truncated files
            raise UsageError(f"{model_path} is not a readable handpose-live checkpoint ({type(e).__name__})") from None
        if not hasattr(model, "predict"):
            raise UsageError(f"{model_path} is a centre-refiner checkpoint; eval scores pose models")
        with torch.no_grad():
            uvd = np.concatenate([model.predict(torch.from_numpy(data.depth[k : k + 32, None])).numpy()
                                  for k in range(0, len(data), 32)])
        return data.to_mm(uvd), "torch CPU"
    raise UsageError(f"--model must be an .onnx file or a .pt checkpoint, got {model_path}")


def _cmd_train_refiner(args: argparse.Namespace) -> int:
    """Train the centre refiner on synthetic full frames."""
    try:
        from handpose_live.training.refiner import RefinerSettings, train_refiner
    except ImportError as e:
        raise UsageError(f"training needs PyTorch, which is not installed here ({e.name})") from None
    try:
        settings = RefinerSettings(out_dir=str(args.out), seed=args.seed, steps=args.steps,
                                   batch_size=args.batch_size, lr=args.lr, workers=args.workers,
                                   val_count=args.val_count, device=args.device, max_minutes=args.max_minutes)
        figures = train_refiner(settings, resume=not args.restart)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if figures:
        print(f"Done at step {figures['step']}: centre error {figures['val_start_error_mm']:.1f} mm → "
              f"{figures['val_refined_error_mm']:.1f} mm after one refinement; checkpoint in {args.out}")
    return 0


def _eval_pipeline(args: argparse.Namespace) -> int:
    """The whole estimator on synthetic full frames: centre, crop and joint figures."""
    import numpy as np

    from handpose_live.pipeline.estimator import DEFAULT_REFINER, EstimatorOptions
    from handpose_live.pipeline.onnx_model import ModelError
    from handpose_live.pipeline_eval import evaluate_pipeline

    refiner = None if args.no_refiner else (args.refiner or DEFAULT_REFINER)
    try:
        options = EstimatorOptions(model_path=args.model, refiner_path=refiner,
                                   provider=args.provider)
        f = evaluate_pipeline(options, args.count, objects_beside=args.beside)
    except (ModelError, ValueError) as e:
        raise UsageError(str(e)) from None
    where = "behind or beside (some nearer than)" if args.beside else "behind"
    print(f"Synthetic 640x480 full frames, body, background and other objects {where} the hand (seed of the "
          f"test set): hand found in {f.found} of {f.frames}")
    print(f"  centre to middle MCP, detector:        median {np.median(f.detector_centre_error_mm):6.1f} mm, "
          f"mean {f.detector_centre_error_mm.mean():6.1f} mm")
    if f.refined:
        print(f"  centre to middle MCP, after refining:  median {np.median(f.final_centre_error_mm):6.1f} mm, "
              f"mean {f.final_centre_error_mm.mean():6.1f} mm")
    else:
        print("  no centre refiner (models/com_refiner.onnx absent or --no-refiner)")
    print(f"  crops holding every joint: {f.crop_holds_hand:.1%}")
    print(f"  joints, whole pipeline: mean {f.joints.mean_mm:.2f} mm, frames within 20 / 40 mm "
          f"{f.joints.success_at(20):.1%} / {f.joints.success_at(40):.1%}")
    print("  median ms per stage: " + " · ".join(f"{n} {ms:.1f}" for n, ms in f.stage_ms.items()))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    """Score a model on the fixed synthetic test set, or prediction files against labels."""
    from handpose_live import evaluation as ev
    from handpose_live.joints import Joint
    from handpose_live.metrics import score

    if args.pipeline:
        return _eval_pipeline(args)
    if (args.model is None) == (args.pred is None):
        raise UsageError("eval needs either --model FILE, or --gt FILE --pred FILE --dataset NAME")
    curves = {}
    if args.model is not None:
        # Cheap checks first: the test set takes seconds to render.
        if args.model.suffix not in (".onnx", ".pt"):
            raise UsageError(f"--model must be an .onnx file or a .pt checkpoint, got {args.model}")
        if not args.model.is_file():
            raise UsageError(f"model file {args.model} does not exist")
        if args.data is None:
            data = ev.EvalSet.synthetic(ev.TEST_SEED, args.count)
            what = f"Synthetic test set: {args.count} frames, seed {ev.TEST_SEED}"
        else:
            from handpose_live.datasets import DatasetError, crop_frames, frames_from_spec

            try:
                data = ev.EvalSet.from_frames(crop_frames(frames_from_spec(args.data)))
            except DatasetError as e:
                raise UsageError(str(e)) from None
            what = f"{args.data}: {len(data)} frames (joints the dataset does not label are not scored)"
        pred_mm, runner = _predict(args.model, data, args.provider)
        curves[args.model.stem] = score(pred_mm, data.joints_mm)
        joint_names = [j.name.lower() for j in Joint]
        print(f"{what}; model {args.model} on {runner}")
    else:
        if args.gt is None or args.dataset is None:
            raise UsageError("scoring prediction files needs --gt FILE and --dataset icvl|nyu|msra")
        names = args.name or [p.stem for p in args.pred]
        if len(names) != len(args.pred):
            raise UsageError(f"{len(args.pred)} --pred files but {len(names)} --name labels")
        try:
            for name, pred in zip(names, args.pred):
                curves[name] = ev.score_files(args.gt, pred, args.dataset)
        except ev.EvalFileError as e:
            raise UsageError(str(e)) from None
        joint_names = [j.name for j in ev.DATASET_MAPS[args.dataset].joints]
        print(f"{args.dataset.upper()} labels {args.gt}: {next(iter(curves.values())).frames} frames")
    print(f"{'method':32s} {'mean mm':>8s} {'≤20 mm':>8s} {'≤40 mm':>8s}")
    for name, s in curves.items():
        print(f"{name:32s} {s.mean_mm:8.3f} {s.success_at(20):8.1%} {s.success_at(40):8.1%}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        ev.write_curve_csv(args.out / "success_curve.csv", curves)
        ev.write_per_joint_csv(args.out / "per_joint_error.csv", curves, joint_names)
        ev.plot_success_curves(args.out / "success_curve.png", curves)
        print(f"Wrote success_curve.png, success_curve.csv and per_joint_error.csv to {args.out}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    """Export a checkpoint to ONNX and check it against torch."""
    try:
        from handpose_live.export import PARITY_TOLERANCE, export_onnx
    except ImportError as e:
        raise UsageError(f"export needs PyTorch and onnx, which are not installed here ({e.name})") from None
    if not args.checkpoint.is_file():
        raise UsageError(f"checkpoint {args.checkpoint} does not exist")
    if args.out.suffix != ".onnx":
        raise UsageError(f"--out must end in .onnx, got {args.out}")
    try:
        info, err = export_onnx(args.checkpoint, args.out, args.opset, args.fp16)
    except (KeyError, RuntimeError, EOFError, OSError) as e:
        raise UsageError(f"{args.checkpoint} is not a readable handpose-live checkpoint ({type(e).__name__})") from None
    print(f"Wrote {args.out}: {info.architecture}, opset {args.opset}{', fp16' if args.fp16 else ''}, "
          f"cube {info.cube_mm:g} mm")
    tolerance = 5e-2 if args.fp16 else PARITY_TOLERANCE
    verdict = "ok" if err < tolerance else "TOO LARGE"
    print(f"ONNX Runtime vs torch: max abs error {err:.2e} (tolerance {tolerance:g}): {verdict}")
    return 0 if err < tolerance else 1


def _cmd_quantize(args: argparse.Namespace) -> int:
    """Static int8 version of an exported model, for the CPU."""
    from handpose_live.pipeline.onnx_model import ModelError
    from handpose_live.quantize import quantize_int8

    if args.out.exists():
        raise UsageError(f"{args.out} already exists; choose another name or remove it first")
    if args.out.suffix != ".onnx":
        raise UsageError(f"--out must be an .onnx file, got {args.out}")
    try:
        quantize_int8(args.model, args.out, args.calibration)
    except ModelError as e:
        raise UsageError(str(e)) from None
    print(f"Wrote {args.out} (int8, calibrated on {args.calibration} synthetic crops). Measure it with: "
          f"handpose-live eval --model {args.out}; handpose-live bench --model {args.out}")
    return 0


def _replay_recording(bag: Path | None, frames: int, folder: Path) -> Path:
    """What bench and soak replay: `bag`, or a fresh synthetic recording of `frames` frames in `folder`."""
    from handpose_live.recordings import write_synthetic_recording

    if bag is not None:
        return bag
    path = folder / "synthetic.bag"
    print(f"Recording {frames} synthetic 640x480 frames to replay (record-synthetic, seed 0)...")
    write_synthetic_recording(path, frames)
    return path


def _print_pipeline(p) -> None:
    print(f"\npipeline · {p.provider} · {p.model} · {p.source} · {p.frames} frames after warm-up · "
          f"{p.fps:.1f} frames/s (hand found in {p.hands_found})")
    print(f"  {'stage':10s} {'median ms':>10s} {'p95 ms':>8s}")
    for name, t in p.stages.items():
        print(f"  {name:10s} {t.median_ms:10.2f} {t.p95_ms:8.2f}")
    print(f"  {'latency':10s} {p.latency.median_ms:10.2f} {p.latency.p95_ms:8.2f}   (capture → result)")


def _print_model(name: str, timings: dict) -> None:
    print(f"\nmodel · {name}")
    print(f"  {'batch':>5s} {'median ms':>10s} {'p95 ms':>8s} {'ms/frame':>9s} {'frames/s':>9s}")
    for b, t in timings.items():
        print(f"  {b:5d} {t.median_ms:10.2f} {t.p95_ms:8.2f} {t.per_frame(b):9.2f} {1000.0 / t.per_frame(b):9.1f}")


def _model_dict(timings: dict) -> dict:
    out = {}
    for b, t in timings.items():
        out[f"batch{b}_ms"] = t.median_ms
        out[f"batch{b}_p95_ms"] = t.p95_ms
    return out


def _cmd_bench(args: argparse.Namespace) -> int:
    """The whole pipeline on a replay, then the model alone, per provider; torch eager for the same weights."""
    import json
    import os
    import platform
    import tempfile

    from handpose_live.bench import bench_onnx, bench_pipeline, bench_torch
    from handpose_live.pipeline.estimator import EstimatorOptions, load_pose_model
    from handpose_live.pipeline.onnx_model import ModelError
    from handpose_live.sources.base import SourceError

    if args.model is not None and not args.model.is_file():
        raise UsageError(f"model file {args.model} does not exist")
    if args.json is not None and not args.json.parent.is_dir():
        raise UsageError(f"the folder of --json {args.json} does not exist")
    results: dict = {"machine": {"cpu": platform.processor() or platform.machine(),
                                 "cores": len(os.sched_getaffinity(0))}, "providers": {}}
    with tempfile.TemporaryDirectory(prefix="handpose-bench-") as tmp:
        try:
            recording = None if args.model_only else _replay_recording(args.bag, args.frames, Path(tmp))
            for provider in args.provider or ["auto"]:
                entry: dict = {}
                if recording is not None:
                    options = EstimatorOptions(model_path=args.model, provider=provider, threads=args.threads)
                    p = bench_pipeline(recording, options, args.frames, args.warmup)
                    _print_pipeline(p)
                    entry["pipeline"] = p.to_dict()
                model = load_pose_model(args.model, provider, args.threads)
                timings = bench_onnx(model, (1, 32), args.runs)
                name = model.providers_in_use[0].replace("ExecutionProvider", "")
                _print_model(f"onnxruntime {name} · {model.path.name} ({model.info.precision})", timings)
                entry["model"] = {"file": model.path.name, "precision": model.info.precision, **_model_dict(timings)}
                results["providers"][name] = entry
        except (ModelError, SourceError) as e:
            raise UsageError(str(e)) from None
    first = next(iter(results["providers"].values()))
    results.update({k: first[k] for k in ("pipeline", "model") if k in first})
    if args.checkpoint is not None:
        try:
            timings = bench_torch(args.checkpoint, (1, 32), args.runs, args.torch_device)
        except ImportError:
            raise UsageError("--checkpoint needs PyTorch, which is not installed here") from None
        _print_model(f"torch eager {args.torch_device}", timings)
        results["torch"] = _model_dict(timings)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"\nWrote {args.json}")
    return 0


def _cmd_soak(args: argparse.Namespace) -> int:
    """A long looped replay: resident memory must stay flat and every frame must reach the file."""
    import tempfile

    from handpose_live.bench import soak
    from handpose_live.pipeline.estimator import EstimatorOptions
    from handpose_live.pipeline.onnx_model import ModelError
    from handpose_live.sources.base import SourceError

    if args.model is not None and not args.model.is_file():
        raise UsageError(f"model file {args.model} does not exist")
    if args.output.suffix != ".jsonl" or not args.output.parent.is_dir():
        raise UsageError(f"--output must be a .jsonl file in an existing folder, got {args.output}")
    if args.output.exists():
        raise UsageError(f"{args.output} already exists; choose another name or remove it first")
    with tempfile.TemporaryDirectory(prefix="handpose-soak-") as tmp:
        try:
            recording = _replay_recording(args.bag, 300, Path(tmp))
            print(f"Replaying it in a loop for {args.frames} frames, headless, as fast as possible...")
            r = soak(recording, EstimatorOptions(model_path=args.model, provider=args.provider), args.frames,
                     args.output, args.warmup, args.every)
        except (ModelError, SourceError) as e:
            raise UsageError(str(e)) from None
    print(f"{r.frames} frames in {r.seconds:.0f} s ({r.frames / max(r.seconds, 1e-9):.1f} frames/s); "
          f"{r.lines_written} lines in {args.output}, frame numbers {'consecutive' if r.frames_in_order else 'WITH GAPS'}")
    print("resident memory (MB) after N frames: " + ", ".join(f"{n}: {mb:.1f}" for n, mb in r.rss_mb))
    print(f"growth after the {r.warmup_frames}-frame warm-up: {r.growth:+.2%} (limit +{args.max_growth:.0%})")
    failures = []
    if r.error:
        failures.append(r.error)
    if r.lines_written != args.frames or not r.frames_in_order:
        failures.append(f"frames were lost ({r.lines_written} of {args.frames} written)")
    if r.growth > args.max_growth:
        failures.append(f"resident memory grew {r.growth:.1%}")
    for f in failures:
        print(f"handpose-live: soak failed: {f}", file=sys.stderr)
    return 1 if failures else 0


def _cmd_live(args: argparse.Namespace) -> int:
    """The live app: a camera, recording or the synthetic camera → the window or JSON lines."""
    from handpose_live.app import AppError, LiveOptions, run_live

    if args.provider is None:
        args.provider = "auto"
    options = LiveOptions(
        camera=args.camera, recording=args.bag, model=args.model, provider=args.provider, headless=args.headless,
        output=args.output, realtime=not args.no_realtime, loop=args.loop, max_frames=args.max_frames,
        screenshot=args.screenshot, record=args.record, smoothing=not args.no_smoothing, threads=args.threads)
    try:
        return run_live(options)
    except AppError as e:
        raise UsageError(str(e)) from None


def _cmd_record_synthetic(args: argparse.Namespace) -> int:
    """Record the synthetic camera to a .bag or .mkv with its ground truth beside it."""
    from handpose_live.recordings import truth_path, write_synthetic_recording
    from handpose_live.sources.base import SourceError

    default_height = 576 if args.out.suffix == ".mkv" else 480
    size = None if args.width is None and args.height is None else (args.width or 640, args.height or default_height)
    try:
        settings = write_synthetic_recording(args.out, args.frames, args.fps, args.seed, size)
    except SourceError as e:
        raise UsageError(str(e)) from None
    print(f"Wrote {args.frames} frames ({settings.width}x{settings.height} at {args.fps:g} fps) to {args.out} "
          f"and their ground-truth joints to {truth_path(args.out)}")
    return 0


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments every training command has."""
    parser.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, log)")
    parser.add_argument("--seed", type=_nonnegative_int, default=0, help="random seed (default 0)")
    parser.add_argument("--workers", type=_nonnegative_int, default=2, help="data-loading processes (default 2)")
    parser.add_argument("--val-count", type=_positive_int, default=500, help="validation samples (default 500)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("--max-minutes", type=_positive_float, default=None, help="stop after this wall time")
    parser.add_argument("--restart", action="store_true", help="ignore an existing checkpoint in --out")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `handpose-live` command."""
    parser = argparse.ArgumentParser(
        prog="handpose-live",
        description="Real-time 3D hand pose for depth cameras (JGR-P2O on ONNX Runtime). Without a COMMAND it "
        "runs the live app: a camera or recording in, a 21-joint 3D skeleton out, in a window or as JSON "
        "lines (--headless). With no source named it shows the synthetic camera, so it works without hardware.",
        epilog="window keys: space pause · r record · s screenshot · v reset 3D view · f smoothing · q/Esc quit\n\n"
        "examples:\n  handpose-live                                   # synthetic camera, window\n"
        "  handpose-live --camera realsense\n"
        "  handpose-live --bag hand.bag --headless --no-realtime --output joints.jsonl\n"
        "  handpose-live record-synthetic demo.bag --frames 300",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"handpose-live {__version__}")
    live = parser.add_argument_group("live app (when no COMMAND is given)")
    live.add_argument("--camera", choices=CAMERAS,
                      help="live source (default: synthetic, an animated hand with known joints; kinect needs "
                      "`make kinect`)")
    live.add_argument("--bag", type=Path, help="replay a recording instead of a camera: RealSense .bag or .db3, "
                      "or Azure Kinect .mkv")
    live.add_argument("--model", type=Path, default=None,
                      help="pose network .onnx (default: models/jgr_p2o_int8.onnx on the CPU, jgr_p2o.onnx on a GPU)")
    live.add_argument("--provider", choices=["auto", "cuda", "tensorrt", "cpu"], default=None,
                      help="ONNX Runtime provider (default auto: TensorRT, CUDA, then CPU)")
    live.add_argument("--threads", type=_positive_int, default=None,
                      help="ONNX Runtime intra-op threads (default: the cores less one, at most 4)")
    live.add_argument("--headless", action="store_true",
                      help="no window: one JSON line per frame on stdout (frame, timestamp_ms, hand_found, "
                      "joints_mm, latency_ms)")
    live.add_argument("--output", type=Path, help="also write the per-frame results to a .jsonl or .csv file")
    live.add_argument("--no-realtime", action="store_true",
                      help="read recordings (and the synthetic camera) as fast as possible, every frame processed")
    live.add_argument("--loop", action="store_true", help="replay --bag in a loop")
    live.add_argument("--max-frames", type=_positive_int, help="stop after this many processed frames")
    live.add_argument("--screenshot", type=Path, help="save the window as a PNG when the run ends")
    live.add_argument("--record", type=Path, help="record the depth stream to this .bag while running")
    live.add_argument("--no-smoothing", action="store_true", help="show raw joints (no One Euro filter)")
    parser.set_defaults(func=_cmd_live)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    synth = sub.add_parser(
        "synth",
        help="render synthetic depth hands: training shards and/or a preview sheet",
        description="Render procedural depth hands with exact 21-joint ground truth. "
        "--out writes sharded .npz training data (deterministic for a seed, resumable); "
        "--preview writes a contact sheet with the skeletons drawn.",
        epilog="examples:\n  handpose-live synth --count 100000 --out data/synth --seed 0\n"
        "  handpose-live synth --preview preview.png --count 16\n"
        "  handpose-live synth --benchmark --width 640 --height 480",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    synth.add_argument("--count", type=_positive_int, default=None,
                       help=f"samples to write (with --out), frames to show (--preview, default {PREVIEW_COUNT}) "
                       f"or to time (--benchmark, default {BENCHMARK_COUNT})")
    synth.add_argument("--out", type=Path, help="folder for the .npz shards and manifest.json")
    synth.add_argument("--seed", type=_nonnegative_int, default=0, help="random seed (default 0)")
    synth.add_argument("--workers", type=_positive_int, default=None, help="processes (default: all cores)")
    synth.add_argument("--shard-size", type=_positive_int, default=500, help="samples per shard (default 500)")
    synth.add_argument("--preview", type=Path, help="write a contact sheet PNG of the first frames")
    synth.add_argument("--benchmark", action="store_true", help="measure renders/s and samples/s, write nothing")
    synth.add_argument("--width", type=_positive_int, default=320, help="rendered frame width (default 320)")
    synth.add_argument("--height", type=_positive_int, default=240, help="rendered frame height (default 240)")
    synth.set_defaults(func=_cmd_synth)

    tr = sub.add_parser(
        "train",
        help="train the JGR-P2O pose network",
        description="Train JGR-P2O (Adam, lr × decay per epoch, smooth-L1 joint + offset loss) on synthetic "
        "hands generated on the fly or on 'synth --out' shards. Validates on a fixed synthetic set each "
        "epoch, writes last.pt / best.pt / log.csv in --out, and resumes from last.pt when run again. "
        "Uses CUDA when present. For several GPUs: torchrun --nproc_per_node N -m handpose_live.cli train ...",
        epilog="example:\n  handpose-live train --out runs/jgr --epochs 58 --seed 0",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_run_arguments(tr)
    tr.add_argument("--data", default="synthetic",
                    help="'synthetic' (default), a shard folder, msra:ROOT, icvl:DEPTH_DIR:LABELS or nyu:SPLIT_DIR:LABELS")
    tr.add_argument("--epochs", type=_positive_int, default=58, help="epochs (default 58, the paper's)")
    tr.add_argument("--steps-per-epoch", type=_positive_int, default=1000, help="batches per synthetic epoch")
    tr.add_argument("--batch-size", type=_positive_int, default=32, help="batch size (default 32)")
    tr.add_argument("--lr", type=_positive_float, default=1e-4, help="initial learning rate (default 1e-4)")
    tr.add_argument("--lr-decay", type=_positive_float, default=0.96, help="learning-rate factor per epoch")
    tr.add_argument("--stacks", type=int, default=2, help="stacked stages, 1-3 (default 2)")
    tr.add_argument("--no-jgr", action="store_true", help="ablation: no graph reasoning (P2O only)")
    tr.add_argument("--no-offset-loss", action="store_true", help="ablation: no dense offset loss")
    tr.add_argument("--no-augment", action="store_true", help="no online rotation/scale/shift augmentation")
    tr.set_defaults(func=_cmd_train)

    rf = sub.add_parser(
        "train-refiner",
        help="train the centre-refinement network",
        description="Train the small CNN that moves a detected hand centre onto the middle-finger MCP, on "
        "synthetic full frames with a body, background and distractors; starts are the detector's centres "
        "or perturbed truths. Validates every 1000 steps (centre error before / after one refinement), "
        "writes last.pt and log.csv in --out and resumes from last.pt.",
        epilog="example:\n  handpose-live train-refiner --out runs/refiner --steps 20000\n"
        "  handpose-live export --checkpoint runs/refiner/last.pt --out models/com_refiner.onnx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_run_arguments(rf)
    rf.add_argument("--steps", type=_positive_int, default=20000, help="training steps (default 20000)")
    rf.add_argument("--batch-size", type=_positive_int, default=64, help="batch size (default 64)")
    rf.add_argument("--lr", type=_positive_float, default=1e-3, help="learning rate, halved every 5000 steps")
    rf.set_defaults(func=_cmd_train_refiner)

    ev = sub.add_parser(
        "eval",
        help="score a model on the synthetic test set, or prediction files against labels",
        description="Mean 3D joint error, per-joint error and the success-frame curve (fraction of frames "
        "whose worst joint is within 0-80 mm). Either --model (an .onnx or .pt) on the fixed synthetic "
        "test set, or --pred files in the evaluation toolkit's 'u v d' line format against --gt labels.",
        epilog="examples:\n  handpose-live eval --model models/jgr_p2o.onnx --out results/\n"
        "  handpose-live eval --dataset nyu --gt nyu_test_groundtruth_label.txt --pred V2V.txt --pred A2J.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ev.add_argument("--model", type=Path, help="model to evaluate (.onnx or .pt checkpoint)")
    ev.add_argument("--count", type=_positive_int, default=TEST_COUNT, help=f"synthetic test frames (default {TEST_COUNT})")
    ev.add_argument("--data", help="with --model: a real dataset instead of the synthetic test set "
                    "(msra:ROOT, icvl:DEPTH_DIR:LABELS, nyu:SPLIT_DIR:LABELS)")
    ev.add_argument("--provider", default="auto", choices=["auto", "cuda", "tensorrt", "cpu"])
    ev.add_argument("--pipeline", action="store_true",
                    help="run the whole estimator (detect, refine, crop, model) on synthetic 640x480 full frames")
    ev.add_argument("--refiner", type=Path, help="with --pipeline: centre refiner (default models/com_refiner.onnx)")
    ev.add_argument("--no-refiner", action="store_true", help="with --pipeline: no centre refinement")
    ev.add_argument("--beside", action="store_true",
                    help="with --pipeline: half the other objects beside the hand, up to 50 mm nearer than its "
                    "centre, as in training (default: every object behind the hand)")
    ev.add_argument("--gt", type=Path, help="label file, u v d per joint per line")
    ev.add_argument("--pred", type=Path, action="append", help="predictions file (repeatable)")
    ev.add_argument("--name", action="append", help="a name per --pred file for the table and plot")
    ev.add_argument("--dataset", choices=["icvl", "nyu", "msra"], help="camera and joint order of the files")
    ev.add_argument("--out", type=Path, help="folder for success_curve.png/.csv and per_joint_error.csv")
    ev.set_defaults(func=_cmd_eval)

    ex = sub.add_parser(
        "export",
        help="export a checkpoint (pose network or centre refiner) to ONNX with its preprocessing metadata",
        description="Write an ONNX model (dynamic batch) whose metadata carries the joint order, input size, "
        "cube size, normalisation and training data, then check ONNX Runtime against torch. The "
        "checkpoint says which network it holds.",
        epilog="example:\n  handpose-live export --checkpoint runs/jgr/best.pt --out models/jgr_p2o.onnx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("--checkpoint", type=Path, required=True, help="a best.pt or last.pt of 'train'")
    ex.add_argument("--out", type=Path, required=True, help="the .onnx file to write")
    ex.add_argument("--opset", type=int, default=17, choices=range(17, 21), metavar="17-20", help="ONNX opset")
    ex.add_argument("--fp16", action="store_true", help="half-precision weights and activations (for GPUs)")
    ex.set_defaults(func=_cmd_export)

    be = sub.add_parser(
        "bench",
        help="time the whole pipeline on a replay and the pose network alone, per provider",
        description="Replay a recording (--bag, or a synthetic 640x480 one made for the run) through the live "
        "pipeline as fast as possible: per-stage median and 95th percentile ms and frames/s after warm-up. Then "
        "the model alone at batch 1 and 32, and torch eager for the same weights with --checkpoint.",
        epilog="examples:\n  handpose-live bench --json bench.json\n"
        "  handpose-live bench --provider cuda --provider cpu --checkpoint runs/jgr/best.pt --json bench.json\n"
        "  handpose-live bench --bag my_hand.bag --frames 1000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    be.add_argument("--model", type=Path, default=None,
                    help="pose network .onnx (default: the shipped one, int8 on the CPU, fp32 on a GPU)")
    be.add_argument("--bag", type=Path, help="recording to replay (.bag, .db3 or .mkv; default: a synthetic one)")
    be.add_argument("--frames", type=_positive_int, default=300, help="timed pipeline frames (default 300)")
    be.add_argument("--warmup", type=_nonnegative_int, default=30, help="untimed pipeline frames first (default 30)")
    be.add_argument("--model-only", action="store_true", help="skip the pipeline, time the network alone")
    be.add_argument("--checkpoint", type=Path, help="the same weights as a .pt, to time torch eager too")
    be.add_argument("--provider", action="append", choices=["auto", "cuda", "tensorrt", "cpu"],
                    help="ONNX Runtime provider (repeatable; default auto)")
    be.add_argument("--threads", type=_positive_int, default=None,
                      help="ONNX Runtime intra-op threads (default: the cores less one, at most 4)")
    be.add_argument("--torch-device", default="cpu", help="device for torch eager (default cpu)")
    be.add_argument("--runs", type=_positive_int, default=50, help="timed runs per case (default 50)")
    be.add_argument("--json", type=Path, help="also write the figures as JSON")
    be.set_defaults(func=_cmd_bench, provider=None)

    so = sub.add_parser(
        "soak",
        help="replay a recording in a loop for many frames: memory must stay flat, no frame lost",
        description="Record a synthetic 640x480 recording (or take --bag), replay it in a loop headless as fast "
        "as possible for --frames frames, write every result to --output, and sample resident memory. Fails "
        "(exit 1) when memory grows more than --max-growth after warm-up or a frame is missing from the file.",
        epilog="example:\n  handpose-live soak --frames 20000 --output soak.jsonl   (what `make soak` runs)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    so.add_argument("--frames", type=_positive_int, default=20000, help="frames to process (default 20000)")
    so.add_argument("--output", type=Path, default=Path("soak.jsonl"), help="the .jsonl of results (default soak.jsonl)")
    so.add_argument("--bag", type=Path, help="recording to loop (default: a synthetic one)")
    so.add_argument("--model", type=Path, default=None, help="pose network .onnx (default: the shipped one)")
    so.add_argument("--provider", choices=["auto", "cuda", "tensorrt", "cpu"], default="auto")
    so.add_argument("--warmup", type=_positive_int, default=1000, help="frames before memory is compared (default 1000)")
    so.add_argument("--every", type=_positive_int, default=1000, help="sample memory every N frames (default 1000)")
    so.add_argument("--max-growth", type=_positive_float, default=0.05, help="allowed growth (default 0.05 = 5%%)")
    so.set_defaults(func=_cmd_soak)

    qu = sub.add_parser(
        "quantize",
        help="make an int8 copy of an exported model for faster CPU inference",
        description="Static int8 quantisation (QDQ, per-channel weights) with activation ranges calibrated on "
        "synthetic crops; the preprocessing metadata is kept. About twice as fast on CPUs with AVX2 / AVX-512 "
        "VNNI, for a small accuracy cost: measure both with eval.",
        epilog="example:\n  handpose-live quantize --model models/jgr_p2o.onnx --out models/jgr_p2o_int8.onnx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    qu.add_argument("--model", type=Path, required=True, help="the fp32 .onnx written by export")
    qu.add_argument("--out", type=Path, required=True, help="the int8 .onnx to write")
    qu.add_argument("--calibration", type=_positive_int, default=200,
                    help="synthetic crops for the activation ranges (default 200)")
    qu.set_defaults(func=_cmd_quantize)

    rs = sub.add_parser(
        "record-synthetic",
        help="record the synthetic camera to a .bag or .mkv, with ground-truth joints in OUT.gt.jsonl",
        description="Render the synthetic camera's animated hand (a person raising a hand through gestures) "
        "and write it as a RealSense-compatible ROS1 .bag, or as an Azure Kinect .mkv (640x576 NFOV depth, "
        "5/15/30 fps; needs `make kinect`), that --bag replays, plus OUT.gt.jsonl with the true joints of every "
        "frame (the same keys as --output).",
        epilog="example:\n  handpose-live record-synthetic demo.bag --frames 300\n"
        "  handpose-live --bag demo.bag --headless --no-realtime --output demo.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rs.add_argument("out", type=Path, metavar="OUT.bag|OUT.mkv", help="the recording to write")
    rs.add_argument("--frames", type=_positive_int, required=True, help="frames to record")
    rs.add_argument("--fps", type=_positive_float, default=30.0, help="frame rate (default 30)")
    rs.add_argument("--width", type=_positive_int, help="image width (default 640)")
    rs.add_argument("--height", type=_positive_int, help="image height (default 480; a .mkv is always 640x576)")
    rs.add_argument("--seed", type=_nonnegative_int, default=0, help="hand shape and sensor noise (default 0)")
    rs.set_defaults(func=_cmd_record_synthetic)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `handpose-live` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as e:
        print(f"handpose-live: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("handpose-live: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
