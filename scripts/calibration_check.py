"""Issue 14's calibration figures: synthetic hands of known shape far from the average (scale 0.85
and 1.12, fingers 10 % longer and shorter), calibrated on N frames, then M held-out frames fitted
with the default, the calibrated and the true shape (handpose_live/evaluation/calibration.py).

    python scripts/calibration_check.py [--frames 20] [--test 10]

Not a test: the figures are what to report.
"""
from __future__ import annotations

import argparse
import sys

from handpose_live.evaluation.calibration import measure_calibration
from handpose_live.hand.shape import FACTOR_NAMES, ShapeFactors

HANDS = {"scale 0.85": ShapeFactors(0.85), "scale 1.12": ShapeFactors(1.12),
         "fingers ×1.1": ShapeFactors(1.0, 1.0, (1.1,) * 5), "fingers ×0.9": ShapeFactors(1.0, 1.0, (0.9,) * 5)}


def main() -> int:
    """Calibrate each hand and print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=20, help="calibration frames per hand (default 20)")
    p.add_argument("--test", type=int, default=10, help="held-out frames per hand (default 10)")
    a = p.parse_args()
    if min(a.frames, a.test) < 1:
        print("--frames and --test must be at least 1", file=sys.stderr)
        return 2
    print("| hand | calibrated factors (" + ", ".join(FACTOR_NAMES) + ") | frames used | joint error: default "
          "shape | calibrated | true shape |\n|---|---|---|---|---|---|")
    for name, true in HANDS.items():
        f = measure_calibration(true, a.frames, a.test)
        factors = " ".join(f"{v:.3f}" for v in f.calibrated.as_array())
        j = f.joints_mm
        print(f"| {name} | {factors} | {f.frames_used} | {j['default']:.2f} mm | {j['calibrated']:.2f} mm | "
              f"{j['true']:.2f} mm |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
