"""`handpose-live export`, `quantize` and `import-onnx`: checkpoints to ONNX (checked against torch),
int8 copies, and torch weights back from an exported model."""
from __future__ import annotations

import argparse
from pathlib import Path

from handpose_live.cli.common import UsageError, add_command, needs_torch, positive_int


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `export`, `quantize` and `import-onnx`."""
    ex = add_command(
        sub, "export", help="export a checkpoint (pose network or centre refiner) to ONNX with its preprocessing metadata",
        description="Write an ONNX model (dynamic batch) whose metadata carries the joint order, input size, "
        "cube size, normalisation and training data, then check ONNX Runtime against torch. The "
        "checkpoint says which network it holds. The model goes beside its checkpoint unless --out says "
        "otherwise; an existing file, and above all a shipped model in models/, is replaced only with "
        "--force (replacing the shipped pose network also remakes its int8 copy, which the CPU runs).",
        epilog="examples:\n  handpose-live export --checkpoint runs/jgr/best.pt      # writes runs/jgr/best.onnx\n"
        "  handpose-live --model runs/jgr/best.onnx                  # the live app on it\n"
        "  handpose-live export --checkpoint runs/jgr/best.pt --out models/jgr_p2o.onnx --force",
        run=run_export,
    )
    ex.add_argument("--checkpoint", type=Path, required=True, help="a best.pt or last.pt of 'train'")
    ex.add_argument("--out", type=Path, help="the .onnx file to write (default: beside the checkpoint)")
    ex.add_argument("--opset", type=int, default=17, choices=range(17, 21), metavar="17-20", help="ONNX opset")
    ex.add_argument("--fp16", action="store_true", help="half-precision weights and activations (for GPUs)")
    ex.add_argument("--force", action="store_true", help="replace an existing file, even a shipped model")
    ex.add_argument("--weights", type=Path, metavar="OUT.pt",
                    help="also write the checkpoint's weights and configuration, without the optimiser state (what "
                    "train --init and train-refiner --init start from, e.g. models/com_refiner.pt)")

    qu = add_command(
        sub, "quantize", help="make an int8 copy of an exported model for faster CPU inference",
        description="Static int8 quantisation (QDQ, per-channel weights) with activation ranges calibrated on "
        "synthetic crops; the preprocessing metadata is kept, with the SHA-256 of the fp32 file it was made "
        "from. About twice as fast on CPUs with AVX2 / AVX-512 VNNI, for a small accuracy cost: measure both "
        "with eval.",
        epilog="examples:\n  handpose-live quantize --model runs/jgr/best.onnx      # writes runs/jgr/best_int8.onnx\n"
        "  handpose-live quantize --model models/jgr_p2o.onnx --force   # remakes models/jgr_p2o_int8.onnx",
        run=run_quantize,
    )
    qu.add_argument("--model", type=Path, required=True, help="the fp32 .onnx written by export")
    qu.add_argument("--out", type=Path, help="the int8 .onnx to write (default: NAME_int8.onnx beside --model)")
    qu.add_argument("--calibration", type=positive_int, default=200,
                    help="synthetic crops for the activation ranges (default 200)")
    qu.add_argument("--force", action="store_true", help="replace an existing file, even a shipped model")

    im = add_command(
        sub, "import-onnx", help="take the torch weights back out of an exported pose network (for train --init)",
        description="Read an exported fp32 JGR-P2O ONNX file back into the torch network: each fused "
        "convolution goes back into its module, and each batch norm the exporter folded away is rebuilt "
        "from statistics measured on synthetic crops, so that training can resume from the model. The "
        "weights are checked against ONNX Runtime and written as a checkpoint (weights and config, no "
        "optimiser state) that export, eval and train --init read.",
        epilog="examples:\n  handpose-live import-onnx --model models/jgr_p2o.onnx      # writes models/jgr_p2o.pt\n"
        "  handpose-live train --init models/jgr_p2o.pt --out runs/more --lr 6e-5",
        run=run_import,
    )
    im.add_argument("--model", type=Path, required=True, help="an fp32 pose-network .onnx written by export")
    im.add_argument("--out", type=Path, help="the .pt to write (default: NAME.pt beside --model)")
    im.add_argument("--force", action="store_true", help="replace an existing file, even the shipped weights")


def run_export(args: argparse.Namespace) -> int:
    """Export, print the parity check; 1 when ONNX Runtime strays from torch."""
    try:
        from handpose_live.model.export import export_model
    except ImportError:
        raise needs_torch("export") from None
    if args.weights is not None and args.weights.exists() and not args.force:
        raise UsageError(f"{args.weights} already exists; add --force to replace it")  # before anything is written
    r = export_model(args.checkpoint, args.out, args.opset, args.fp16, args.force)
    print(f"Wrote {r.path}: {r.info.architecture}, opset {args.opset}{', fp16' if args.fp16 else ''}, "
          f"cube {r.info.cube_mm:g} mm")
    print(f"ONNX Runtime vs torch: max abs error {r.parity_error:.2e} (tolerance {r.tolerance:g}): "
          f"{'ok' if r.parity_ok else 'TOO LARGE'}")
    if r.int8_path is not None:
        print(f"Remade its int8 copy {r.int8_path}, which runs on the CPU")
    if args.weights is not None and r.parity_ok:
        from handpose_live.training.common import save_weights

        save_weights(args.checkpoint, args.weights, args.force)
        print(f"Wrote the weights to {args.weights}")
    return 0 if r.parity_ok else 1


def run_import(args: argparse.Namespace) -> int:
    """Write the weights of an exported model and print the parity check."""
    try:
        from handpose_live.model.onnx_import import import_weights
    except ImportError:
        raise needs_torch("import-onnx") from None
    out, error = import_weights(args.model, args.out, args.force)
    print(f"Wrote {out}: torch weights of {args.model}, reproducing it to {error:.1e} (max abs, normalised units). "
          f"Train on from them with: handpose-live train --init {out} --out runs/NAME")
    return 0


def run_quantize(args: argparse.Namespace) -> int:
    """Write the int8 copy and say how to measure it."""
    try:
        from handpose_live.model.quantize import quantize_model
    except ImportError:
        raise needs_torch("quantize", "the onnx package") from None

    out = quantize_model(args.model, args.out, args.calibration, args.force).path
    print(f"Wrote {out} (int8, calibrated on {args.calibration} synthetic crops). Measure it with: "
          f"handpose-live eval --model {out}; handpose-live bench --model {out}")
    return 0
