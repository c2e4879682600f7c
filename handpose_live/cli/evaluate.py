"""`handpose-live eval`: a model on the synthetic test set or a dataset, prediction files against
labels, or the whole estimator on synthetic full frames (--pipeline)."""
from __future__ import annotations

import argparse
from pathlib import Path

from handpose_live.cli.common import PROVIDERS, UsageError, add_command, positive_int
from handpose_live.files import folder_problem
from handpose_live.pipeline.network import MIRRORED
from handpose_live.synthetic.views import VIEWS

TEST_COUNT = 2000  # frames of the fixed synthetic test set


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `eval`."""
    p = add_command(
        sub, "eval", help="score a model on the synthetic test set, or prediction files against labels",
        description="Mean 3D joint error, per-joint error and the success-frame curve (fraction of frames "
        "whose worst joint is within 0-80 mm). Either --model (an .onnx or .pt) on the fixed synthetic "
        "test set, or --pred files in the evaluation toolkit's 'u v d' line format against --gt labels.",
        epilog="examples:\n  handpose-live eval --model models/jgr_p2o.onnx --out results/\n"
        "  handpose-live eval --pipeline --count 1000\n"
        "  handpose-live eval --recording far.bag --model models/my_model.onnx\n"
        "  handpose-live eval --dataset nyu --gt nyu_test_groundtruth_label.txt --pred V2V.txt --pred A2J.txt",
        run=run,
    )
    p.add_argument("--model", type=Path, help="model to evaluate (.onnx or .pt checkpoint)")
    p.add_argument("--count", type=positive_int, default=TEST_COUNT, help=f"synthetic test frames (default {TEST_COUNT})")
    p.add_argument("--data", help="with --model: a real dataset instead of the synthetic test set "
                   "(msra:ROOT, icvl:DEPTH_DIR:LABELS, nyu:SPLIT_DIR:LABELS)")
    p.add_argument("--provider", default="auto", choices=PROVIDERS)
    p.add_argument("--pipeline", action="store_true",
                   help="run the whole estimator (detect, refine, crop, model) on synthetic 640x480 full frames")
    p.add_argument("--refiner", type=Path, help="with --pipeline: centre refiner (default models/com_refiner.onnx)")
    p.add_argument("--no-refiner", action="store_true", help="with --pipeline: no centre refinement")
    p.add_argument("--coarse-refiner", type=Path,
                   help="with --pipeline: coarse refiner before the refiner (default models/com_coarse.onnx, "
                   "when there)")
    p.add_argument("--no-coarse-refiner", action="store_true", help="with --pipeline: no coarse refinement")
    p.add_argument("--view", choices=VIEWS, default=None,
                   help="with --pipeline: frames of this view only (default: the training mix of front, "
                   "egocentric and top-down views)")
    p.add_argument("--beside", action="store_true",
                   help="with --pipeline: half the other objects beside the hand, up to 50 mm nearer than its "
                   "centre, as in training (default: every object behind the hand)")
    p.add_argument("--fit", action=argparse.BooleanOptionalAction, default=True,
                   help="with --pipeline: fit the hand model after the network (default on; --no-fit: the network "
                   "alone)")
    p.add_argument("--mirrored", choices=MIRRORED, default="auto",
                   help="with --pipeline or --recording: also run the network on the mirrored crop and average "
                   "(default auto: on a GPU only)")
    p.add_argument("--recording", type=Path, action="append",
                   help="run the whole estimator (tracking, as live) on this .bag/.mkv and score it against the true "
                   "joints beside it (OUT.gt.jsonl of record-synthetic); repeatable; --model, --no-fit apply")
    p.add_argument("--json", type=Path, help="with --pipeline or --recording: also write the figures as JSON")
    p.add_argument("--gt", type=Path, help="label file, u v d per joint per line")
    p.add_argument("--pred", type=Path, action="append", help="predictions file (repeatable)")
    p.add_argument("--name", action="append", help="a name per --pred file for the table and plot")
    p.add_argument("--dataset", choices=["icvl", "nyu", "msra"], help="camera and joint order of the files")
    p.add_argument("--out", type=Path, help="folder for success_curve.png/.csv and per_joint_error.csv")


def _run_pipeline(args: argparse.Namespace) -> int:
    import json

    from handpose_live.evaluation.pipeline import evaluate_pipeline, pipeline_report
    from handpose_live.pipeline.estimator import DEFAULT_COARSE_REFINER, DEFAULT_REFINER, EstimatorOptions

    if args.json is not None and (problem := folder_problem(args.json.parent)):
        raise UsageError(f"--json {args.json}: {problem}")
    refiner = None if args.no_refiner else (args.refiner or DEFAULT_REFINER)
    coarse = None if args.no_coarse_refiner else (args.coarse_refiner or DEFAULT_COARSE_REFINER)
    try:
        options = EstimatorOptions(model_path=args.model, refiner_path=refiner, coarse_refiner_path=coarse,
                                   provider=args.provider, fit=args.fit, mirrored=args.mirrored)
        figures = evaluate_pipeline(options, args.count, objects_beside=args.beside, view=args.view)
    except ValueError as e:
        raise UsageError(str(e)) from None
    print("\n".join(pipeline_report(figures, args.beside)))
    if args.json is not None:
        args.json.write_text(json.dumps(figures.to_dict(), indent=1))
        print(f"Wrote {args.json}")
    return 0


def _run_recordings(args: argparse.Namespace) -> int:
    import json

    from handpose_live.evaluation.recording import recording_report, score_recording
    from handpose_live.pipeline.estimator import EstimatorOptions

    if args.json is not None and (problem := folder_problem(args.json.parent)):
        raise UsageError(f"--json {args.json}: {problem}")
    missing = [str(r) for r in args.recording if not r.is_file()]
    if missing:
        raise UsageError(f"--recording {missing[0]} does not exist")
    options = EstimatorOptions(model_path=args.model, provider=args.provider, fit=args.fit, mirrored=args.mirrored)
    scores = [score_recording(r, options) for r in args.recording]
    for s in scores:
        print("\n".join(recording_report(s)))
    if args.json is not None:
        args.json.write_text(json.dumps([s.to_dict() for s in scores], indent=1))
        print(f"Wrote {args.json}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Score and print the table; write the curves and per-joint errors with --out."""
    from handpose_live.evaluation.report import score_table, write_reports

    if args.pipeline and args.recording:
        raise UsageError("choose either --pipeline or --recording, not both")
    if args.pipeline:
        return _run_pipeline(args)
    if args.recording:
        return _run_recordings(args)
    if (args.model is None) == (args.pred is None):
        raise UsageError("eval needs either --model FILE, or --gt FILE --pred FILE --dataset NAME")
    if args.model is not None:
        from handpose_live.evaluation.metrics import score
        from handpose_live.evaluation.predict import check_model_file, labelled_set, predict_mm
        from handpose_live.joints import Joint

        check_model_file(args.model)  # before the test set, which takes seconds to render
        data, what = labelled_set(args.data, args.count)
        pred_mm, runner = predict_mm(args.model, data, args.provider)
        curves = {args.model.stem: score(pred_mm, data.joints_mm)}
        joint_names = [j.name.lower() for j in Joint]
        print(f"{what}; model {args.model} on {runner}")
    else:
        from handpose_live.evaluation.toolkit import DATASET_MAPS, score_files

        if args.gt is None or args.dataset is None:
            raise UsageError("scoring prediction files needs --gt FILE and --dataset icvl|nyu|msra")
        names = args.name or [p.stem for p in args.pred]
        if len(names) != len(args.pred):
            raise UsageError(f"{len(args.pred)} --pred files but {len(names)} --name labels")
        curves = {name: score_files(args.gt, pred, args.dataset) for name, pred in zip(names, args.pred)}
        joint_names = [j.name for j in DATASET_MAPS[args.dataset].joints]
        print(f"{args.dataset.upper()} labels {args.gt}: {next(iter(curves.values())).frames} frames")
    print("\n".join(score_table(curves)))
    if args.out is not None:
        write_reports(args.out, curves, joint_names)
        print(f"Wrote success_curve.png, success_curve.csv and per_joint_error.csv to {args.out}")
    return 0
