"""Soak: a recording replayed in a loop for many frames, headless, as fast as possible; resident
memory must stay flat after warm-up and every frame must reach the output file."""
from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from handpose_live.evaluation.bench import replay_recording, replay_through_engine
from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.runtime.engine import FrameOutput
from handpose_live.runtime.output import RecordWriter

SOAK_RECORDING_FRAMES = 300


def resident_mb() -> float:
    """This process's resident memory now (Linux /proc), in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass(frozen=True)
class SoakResult:
    """A long headless replay: memory over time and whether every frame reached the output file."""

    frames: int
    seconds: float
    rss_mb: list[tuple[int, float]]  # (frames processed, resident MB)
    warmup_frames: int
    lines_written: int
    frames_in_order: bool
    error: str | None

    @property
    def growth(self) -> float:
        """Resident memory growth from the end of warm-up to the end, as a fraction."""
        warm = next(mb for n, mb in self.rss_mb if n >= self.warmup_frames)
        return self.rss_mb[-1][1] / warm - 1.0

    def lines(self, output: Path, max_growth: float) -> list[str]:
        """The printed summary: rate, lines written, memory samples, growth against its limit."""
        order = "consecutive" if self.frames_in_order else "WITH GAPS"
        return [f"{self.frames} frames in {self.seconds:.0f} s ({self.frames / max(self.seconds, 1e-9):.1f} frames/s); "
                f"{self.lines_written} lines in {output}, frame numbers {order}",
                "resident memory (MB) after N frames: " + ", ".join(f"{n}: {mb:.1f}" for n, mb in self.rss_mb),
                f"growth after the {self.warmup_frames}-frame warm-up: {self.growth:+.2%} (limit +{max_growth:.0%})"]

    def failures(self, frames: int, max_growth: float) -> list[str]:
        """Why the soak failed (empty when it passed): an error, lost frames, memory growth."""
        out = [self.error] if self.error else []
        if self.lines_written != frames or not self.frames_in_order:
            out.append(f"frames were lost ({self.lines_written} of {frames} written)")
        if self.growth > max_growth:
            out.append(f"resident memory grew {self.growth:.1%}")
        return out


def soak(recording: Path, options: EstimatorOptions, frames: int, output: Path, warmup: int = 1000,
         sample_every: int = 500, progress: bool = True) -> SoakResult:
    """Replay `recording` in a loop, as fast as possible, through the live engine until `frames`
    frames are processed, each written to `output` (.jsonl); resident memory is sampled every
    `sample_every` frames. Raises SourceError when the recording cannot be played."""
    estimator = HandPoseEstimator(options)
    samples: list[tuple[int, float]] = [(0, resident_mb())]
    count = 0
    with RecordWriter(output) as writer, tqdm(total=frames, unit="frame", desc="soak", disable=not progress) as bar:
        def on_output(out: FrameOutput) -> None:
            nonlocal count
            writer.write(out.record(time.perf_counter()))
            count += 1
            if count % sample_every == 0 or count == frames:
                samples.append((count, resident_mb()))
                bar.set_postfix(rss_mb=f"{samples[-1][1]:.0f}")
            bar.update()

        t0 = time.perf_counter()
        _, error = replay_through_engine(recording, estimator, on_output, frames)
        seconds = time.perf_counter() - t0
    numbers = []
    with open(output) as f:
        for line in f:
            numbers.append(json.loads(line)["frame"])
    in_order = numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else False
    return SoakResult(count, seconds, samples, min(warmup, frames), len(numbers), in_order, error)


def check_soak_output(output: Path) -> None:
    """Raise UserError unless `output` is a new .jsonl in a folder that can be written."""
    from handpose_live.errors import UserError
    from handpose_live.files import folder_problem

    if output.suffix != ".jsonl":
        raise UserError(f"--output must be a .jsonl file in an existing folder, got {output}")
    if problem := folder_problem(output.parent):
        raise UserError(f"--output {output}: {problem}")
    if output.exists():
        raise UserError(f"{output} already exists; choose another name or remove it first")


def run_soak(bag: Path | None, options: EstimatorOptions, frames: int, output: Path, warmup: int = 1000,
             sample_every: int = 1000, say: Callable[[str], None] = print) -> SoakResult:
    """Soak `bag` (or a fresh synthetic recording) for `frames` frames into `output`; raises UserError."""
    check_soak_output(output)
    with tempfile.TemporaryDirectory(prefix="handpose-soak-") as tmp:
        recording = replay_recording(bag, SOAK_RECORDING_FRAMES, Path(tmp), say)
        say(f"Replaying it in a loop for {frames} frames, headless, as fast as possible...")
        return soak(recording, options, frames, output, warmup, sample_every)
