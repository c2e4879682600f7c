"""The live loop: a capture thread reads the source into a latest-frame slot; an inference
thread takes the newest frame and runs the estimator's network stages; a fit thread fits the
hand model to that frame, smooths the joints and hands the result on. The network runs on frame
n + 1 while frame n is fitted (the next crop is anchored to the network's joints, not the fit's),
so on two cores the rate is set by the slower of the two, not their sum. An estimator without
separate stages (only `estimate`) runs whole on the inference thread.

Live (realtime) sources drop frames the inference cannot keep up with; offline replays block
the reader instead, so every frame is processed. Every frame carries perf_counter stamps at
capture, inference start and end; the consumer adds the display stamp, so latency is measured.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from handpose_live.pipeline.estimator import Proposal
from handpose_live.pipeline.smoothing import OneEuroFilter, Smoothing
from handpose_live.runtime.output import frame_record
from handpose_live.runtime.slot import LatestSlot
from handpose_live.runtime.timing import RateMeter, StageStats
from handpose_live.sources.bag_writer import BagWriter, check_recording_path
from handpose_live.sources.base import FrameSource, SourceError
from handpose_live.types import DepthFrame, HandPoseResult


class Estimator(Protocol):
    """What the engine needs of a HandPoseEstimator (set_fit only once the model fit is switched;
    `propose` and `fit`, the two halves of `estimate`, where it has them)."""

    provider: str

    def estimate(self, depth_mm: np.ndarray, intrinsics) -> HandPoseResult: ...

    def set_fit(self, on: bool) -> None: ...


@dataclass(frozen=True)
class _Proposed:
    """A frame between the inference and the fit thread."""

    item: Captured
    proposal: Proposal
    t_start: float


@dataclass(frozen=True)
class Captured:
    """A frame as it left the source, with its ground truth when the source knows it."""

    frame: DepthFrame
    t_capture: float
    truth_mm: np.ndarray | None
    index: int | None = None  # its index in a replayed file
    restart: bool = False  # the first frame after a seek: the hand is searched afresh


@dataclass(frozen=True)
class FrameOutput:
    """One processed frame: the estimator's result, the joints to show, and the time stamps."""

    frame: DepthFrame
    result: HandPoseResult
    joints_mm: np.ndarray  # (21, 3) smoothed when smoothing is on; (0, 3) without a hand
    joints_px: np.ndarray  # (21, 2) their pixels
    truth_mm: np.ndarray | None
    t_capture: float
    t_infer_start: float
    t_infer_end: float
    index: int | None = None  # the frame's index in a replayed file (the position bar's)

    def record(self, t_display: float) -> dict:
        """The frame as one line of --headless / --output (joint values rounded to 0.1 mm)."""
        r = self.result
        return frame_record(self.frame, r.hand_found, self.joints_mm, (t_display - self.t_capture) * 1000.0,
                            confidence=r.confidence, fit_error_mm=r.fit_error_mm, handedness=r.handedness)


@dataclass(frozen=True)
class EngineSettings:
    """How the live loop runs."""

    smoothing: bool = True
    max_frames: int | None = None  # stop after this many processed frames
    filter: Smoothing = Smoothing()  # the One Euro filter's settings (pipeline/smoothing.py)


class LiveEngine:
    """Runs a source and an estimator on three threads (two for an estimator with `estimate` only);
    `on_output` gets every processed frame on the thread that finishes it: keep it short, or hand
    the work to another thread."""

    def __init__(self, source: FrameSource, estimator: Estimator, on_output: Callable[[FrameOutput], None],
                 settings: EngineSettings = EngineSettings()):
        self.source = source
        self.estimator = estimator
        self.on_output = on_output
        self.settings = settings
        self.smoothing = settings.smoothing
        # The fit as asked (any thread) and as the estimator has it: only the thread that fits switches
        # the estimator, between two frames, so a frame never sees the fit change halfway.
        self._fit = self._estimator_fit = _fit_of(estimator)
        self.slot: LatestSlot[Captured] = LatestSlot(block=not source.realtime)
        self.capture_rate = RateMeter()
        self.inference_rate = RateMeter()
        self.stages = StageStats()
        self.frames_captured = 0
        self.frames_processed = 0
        self.error: str | None = None
        self._filter = OneEuroFilter.of(settings.filter)
        self._filter_settings = settings.filter
        self._stop = threading.Event()
        # Frames asked for: (relative, value): seek(index) is (False, index), step(delta) (True, delta).
        self._requests: queue.SimpleQueue[tuple[bool, int]] = queue.SimpleQueue()
        self._running = threading.Event()
        self._running.set()
        self._record_lock = threading.Lock()
        self._record_path: Path | None = None
        self._recorder: BagWriter | None = None
        self.frames_recorded = 0  # frames written to finished or running recordings
        self.staged = hasattr(estimator, "propose") and hasattr(estimator, "fit")
        self.proposed: LatestSlot[_Proposed] = LatestSlot(block=True)
        loops = [(self._capture_loop, "capture"), (self._inference_loop, "inference")]
        if self.staged:
            loops.append((self._fit_loop, "fit"))
        self._threads = [threading.Thread(target=self._run, args=(loop,), name=name, daemon=True)
                         for loop, name in loops]
        self._running_threads = len(self._threads)
        self._count_lock = threading.Lock()
        self._finished = threading.Event()
        self._started = False

    # -- control -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the threads (the source must already be open)."""
        self._started = True
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        """Ask the threads to finish; a recording in progress is closed and stays playable."""
        self._stop.set()
        self._running.set()
        self.slot.close()
        self.proposed.close()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the threads; True when they have finished.

        Waits on an event, not Thread.join: a Ctrl+C that interrupts Thread.join can leave a
        running thread marked as stopped (CPython), and the process would then exit while the
        capture thread is still finishing a recording.
        """
        return not self._started or self._finished.wait(timeout)

    @property
    def finished(self) -> bool:
        """True once the threads have ended (end of recording, max frames, error or stop)."""
        return not self._started or self._finished.is_set()

    @property
    def paused(self) -> bool:
        """True while capture is held."""
        return not self._running.is_set()

    def set_paused(self, paused: bool) -> None:
        """Hold or resume reading the source."""
        (self._running.clear if paused else self._running.set)()

    @property
    def can_seek(self) -> bool:
        """True for a replayed file (frames can be stepped through and sought)."""
        return callable(getattr(self.source, "seek", None))

    def seek(self, index: int) -> bool:
        """Show frame `index` of a replayed file next (paused: that frame alone); False when the
        source cannot seek. The hand is searched afresh there, so a frame always gives one answer."""
        if not self.can_seek:
            return False
        self._requests.put((False, max(int(index), 0)))
        return True

    def step(self, delta: int) -> bool:
        """Seek `delta` frames (±1: the arrow keys) from the frame read last, counted when the
        capture thread gets to it (two quick presses are two frames)."""
        if not self.can_seek:
            return False
        self._requests.put((True, int(delta)))
        return True

    @property
    def fit(self) -> bool:
        """True while the model fit is on (as last asked: it takes effect from the next frame)."""
        return self._fit

    def set_fit(self, on: bool) -> None:
        """Turn the model fit on or off without restarting (the thread that fits switches the estimator)."""
        self._fit = bool(on)

    @property
    def dropped(self) -> int:
        """Frames captured but never processed because a newer one replaced them."""
        return self.slot.dropped

    # -- recording -----------------------------------------------------------------------------
    def start_recording(self, path: Path) -> None:
        """Record every captured frame to a .bag from the next frame on (raises SourceError)."""
        path = Path(path)
        check_recording_path(path)
        with self._record_lock:
            self._record_path = path

    def stop_recording(self) -> int:
        """Finish the recording; the number of frames it holds."""
        with self._record_lock:
            n = self._close_recorder()
            self._record_path = None
            return n

    @property
    def recording(self) -> Path | None:
        """The file being recorded, if any."""
        return self._record_path

    def _close_recorder(self) -> int:
        n = 0
        if self._recorder is not None:
            n = self._recorder.frames_written
            self._recorder.close()
            self._recorder = None
        return n

    def _record(self, frame: DepthFrame) -> None:
        with self._record_lock:
            if self._record_path is None:
                return
            try:
                if self._recorder is None:
                    self._recorder = BagWriter(self._record_path, frame.intrinsics, self.source.fps or 30.0,
                                               device_name=self.source.name)
                self._recorder.write(frame)
            except (SourceError, OSError) as e:
                # The user asked for this recording: the run ends rather than going on without it.
                path, self._record_path = self._record_path, None
                self._fail(f"recording to {path} failed: {e}")
                return
            self.frames_recorded += 1

    # -- threads -------------------------------------------------------------------------------
    def _fail(self, message: str, stop: bool = True) -> None:
        if self.error is None:
            self.error = message
        if stop:
            self.stop()

    def _run(self, loop: Callable[[], None]) -> None:
        try:
            loop()
        finally:
            with self._count_lock:
                self._running_threads -= 1
                if self._running_threads == 0:
                    self._finished.set()

    def _next_request(self) -> int | None:
        """The frame index asked for by seek/step; paused, waits a little for one."""
        try:
            relative, value = self._requests.get(timeout=0.1) if self.paused else self._requests.get_nowait()
        except queue.Empty:
            return None
        if not relative:
            return value
        position = self.source.position
        return max((position if position is not None else -1) + value, 0)

    def _capture_loop(self) -> None:
        try:
            while not self._stop.is_set():
                target = self._next_request()
                if self._stop.is_set():
                    break
                if target is None and self.paused:
                    continue
                restart = False
                position = getattr(self.source, "position", None)
                if target is not None and target != (0 if position is None else position + 1):
                    try:
                        self.source.seek(target)
                    except SourceError:
                        continue  # past the end: the frame shown stays
                    restart = True
                frame = self.source.read()
                t = time.perf_counter()
                if frame is None:
                    if target is not None:
                        continue  # stepped past the last frame: stay on it
                    break
                self.frames_captured += 1
                self.capture_rate.tick(t)
                self._record(frame)
                item = Captured(frame, t, self.source.ground_truth(frame.frame_number),
                                getattr(self.source, "position", None), restart)
                if not self.slot.put(item):
                    break
        # A failing source ends capture; the frames already captured are still processed.
        except SourceError as e:
            self._fail(str(e), stop=False)
        except Exception as e:  # noqa: BLE001 - a failing source must end the app cleanly, not hang it
            self._fail(f"the source failed: {type(e).__name__}: {e}", stop=False)
        finally:
            with self._record_lock:
                try:
                    self._close_recorder()
                except Exception as e:  # noqa: BLE001
                    self._fail(f"the recording could not be finished: {e}")
            self.slot.close()

    def _taken(self, slot: LatestSlot):
        """The items of `slot` as they come, until it is closed and empty or the engine stops."""
        while not self._stop.is_set():
            item = slot.get(timeout=0.1)
            if item is None:
                if slot.closed:
                    return
                continue
            yield item

    def _at_limit(self) -> bool:
        limit = self.settings.max_frames
        return limit is not None and self.frames_processed >= limit

    def _inference_loop(self) -> None:
        try:
            for item in self._taken(self.slot):
                t0 = time.perf_counter()
                if item.restart:
                    self.estimator.reset()
                if self.staged:
                    proposal = self.estimator.propose(item.frame.depth_mm, item.frame.intrinsics)
                    if not self.proposed.put(_Proposed(item, proposal, t0)):
                        break
                    continue
                self._switch_fit()
                self._emit(item, self.estimator.estimate(item.frame.depth_mm, item.frame.intrinsics), t0)
                if self._at_limit():
                    break
        except Exception as e:  # noqa: BLE001 - reported to the user by the app
            self._fail(f"processing a frame failed: {type(e).__name__}: {e}")
        finally:
            if self.staged:
                self.proposed.close()  # the fit thread finishes what was proposed, then ends
            else:
                self.stop()

    def _fit_loop(self) -> None:
        try:
            for staged in self._taken(self.proposed):
                if staged.item.restart:
                    self.estimator.reset()  # again on this thread: a fit in flight kept its hand
                self._switch_fit()
                self._emit(staged.item, self.estimator.fit(staged.proposal), staged.t_start)
                if self._at_limit():
                    break
        except Exception as e:  # noqa: BLE001 - reported to the user by the app
            self._fail(f"processing a frame failed: {type(e).__name__}: {e}")
        finally:
            self.stop()

    @property
    def filter_settings(self) -> Smoothing:
        """The smoothing filter's settings now."""
        return self._filter_settings

    def set_filter(self, settings: Smoothing) -> None:
        """Smooth with these settings from the next frame on (any thread: one reference swapped)."""
        self._filter_settings = settings

    def _switch_fit(self) -> None:
        """Apply a fit switch asked for since the last frame (on the thread that fits, between frames)."""
        fit = self._fit
        if fit != self._estimator_fit:
            self.estimator.set_fit(fit)
            self._estimator_fit = fit
            # Fitted and network joints differ by millimetres: smoothing across the switch would
            # show a slow slide from one to the other instead of the new answer.
            self._filter.reset()

    def _emit(self, item: Captured, result: HandPoseResult, t0: float) -> None:
        """Smooth a frame's result, stamp it and hand it to `on_output`."""
        frame = item.frame
        if item.restart:
            self._filter.reset()
        if result.hand_found and self.smoothing:
            self._filter.set(self._filter_settings)
            joints = self._filter(result.joints_mm, frame.timestamp_s)
            pixels = frame.intrinsics.project(joints)[:, :2]
        else:
            if not result.hand_found:
                self._filter.reset()
            joints, pixels = result.joints_mm, result.joints_px
        t1 = time.perf_counter()
        self.inference_rate.tick(t1)
        self.stages.add(result.timings_ms)
        self.on_output(FrameOutput(frame, result, joints, pixels, item.truth_mm, item.t_capture, t0, t1, item.index))
        self.frames_processed += 1


def _fit_of(estimator: Estimator) -> bool:
    """Whether the estimator starts with the model fit on (an estimator without the option has none)."""
    options = getattr(estimator, "options", None)
    return bool(getattr(options, "fit", False))
