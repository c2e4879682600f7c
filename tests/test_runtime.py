"""Runtime: the latest-frame slot, One Euro smoothing, rates, and the engine (capture, inference and fit threads)."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from handpose_live.runtime.engine import EngineSettings, LiveEngine
from handpose_live.runtime.slot import LatestSlot
from handpose_live.pipeline.smoothing import OneEuroFilter
from handpose_live.runtime.timing import RateMeter, StageStats, speed_line
from handpose_live.sources.base import FrameSource, SourceError
from handpose_live.sources.realsense import RecordingSource
from handpose_live.types import DepthFrame, HandPoseResult


def test_slot_keeps_the_newest_and_counts_drops():
    slot = LatestSlot()
    for i in range(5):
        slot.put(i)
    assert slot.get(timeout=0) == 4 and slot.dropped == 4
    assert slot.get(timeout=0.01) is None
    slot.put(7)
    slot.close()
    assert slot.get() == 7 and slot.get() is None and not slot.put(8)


def test_blocking_slot_loses_nothing():
    slot = LatestSlot(block=True)
    got = []

    def reader():
        while (item := slot.get(timeout=1.0)) is not None:
            got.append(item)
            time.sleep(0.001)

    t = threading.Thread(target=reader)
    t.start()
    for i in range(200):
        slot.put(i)
    slot.close()
    t.join(5)
    assert got == list(range(200)) and slot.dropped == 0


def test_one_euro_smooths_jitter_and_follows_moves():
    rng = np.random.default_rng(0)
    f = OneEuroFilter()
    truth = np.zeros((21, 3))
    noisy = [truth + rng.normal(0, 3.0, truth.shape) for _ in range(120)]
    out = [f(x, i / 30.0) for i, x in enumerate(noisy)]
    assert np.std(np.array(out[30:])) < 0.5 * np.std(np.array(noisy[30:]))
    # A 200 mm jump is followed within a few frames at 30 fps.
    f.reset()
    for i in range(30):
        f(truth, i / 30.0)
    for i in range(30, 45):
        y = f(truth + 200.0, i / 30.0)
    assert np.allclose(y, 200.0, atol=10.0)
    f.reset()
    assert np.array_equal(f(truth + 5, 0.0), truth + 5)


def test_rate_meter_and_stage_stats():
    m = RateMeter(window_s=10.0)
    for i in range(11):
        m.tick(100.0 + i * 0.05)
    assert m.rate(now=100.5) == pytest.approx(20.0)
    s = StageStats()
    for v in (1.0, 2.0, 3.0):
        s.add({"detect": v, "infer": 10 * v})
    assert s.median() == {"detect": 2.0, "infer": 20.0}
    assert speed_line({"pre": 0.4, "infer": 3.1}) == "pre 0.4 ms · infer 3.1 ms"


class _Frames(FrameSource):
    """A scripted source: n small frames, optionally failing after some."""

    def __init__(self, n, realtime=False, fail_after=None, delay=0.0):
        self.n, self.realtime, self.fail_after, self.delay = n, realtime, fail_after, delay
        self.i = 0
        self.name = "scripted"

    def open(self):
        self.i = 0

    def read(self):
        if self.fail_after is not None and self.i >= self.fail_after:
            raise SourceError("the camera was unplugged")
        if self.i >= self.n:
            return None
        time.sleep(self.delay)
        self.i += 1
        from handpose_live.camera import Intrinsics

        intr = Intrinsics(100.0, 100.0, 15.5, 11.5, 32, 24)
        return DepthFrame(np.full((24, 32), 500.0, np.float32), intr, self.i / 30.0, self.i)

    def close(self):
        pass

    @property
    def fps(self):
        return 30.0


class _Estimator:
    """Finds a fixed hand after `work` seconds."""

    provider = "CPU"

    def __init__(self, work=0.0):
        self.work = work

    def estimate(self, depth, intr):
        time.sleep(self.work)
        joints = np.tile([0.0, 0.0, 500.0], (21, 1)) + np.arange(21)[:, None]
        return HandPoseResult(True, joints, intr.project(joints)[:, :2], joints[9], None, {"infer": 1.0}, "CPU")

    def reset(self):
        pass


def _run(source, estimator, **settings):
    outputs = []
    engine = LiveEngine(source, estimator, outputs.append, EngineSettings(**settings))
    source.open()
    engine.start()
    assert engine.join(timeout=20)
    return engine, outputs


def test_offline_engine_processes_every_frame_in_order():
    engine, outputs = _run(_Frames(50), _Estimator(0.002), smoothing=False)
    assert [o.frame.frame_number for o in outputs] == list(range(1, 51))
    assert engine.dropped == 0 and engine.error is None
    o = outputs[0]
    assert o.t_capture <= o.t_infer_start <= o.t_infer_end
    rec = o.record(o.t_infer_end + 0.01)
    assert set(rec) == {"frame", "timestamp_ms", "hand_found", "joints_mm", "latency_ms", "confidence", "fit_error_mm",
                        "handedness"}
    assert len(rec["joints_mm"]) == 21 and rec["latency_ms"] >= 10.0
    assert rec["confidence"] is None and rec["fit_error_mm"] is None  # an estimator without the fit


def test_live_engine_drops_frames_it_cannot_keep_up_with():
    engine, outputs = _run(_Frames(40, realtime=True, delay=0.002), _Estimator(0.02))
    assert engine.dropped > 10
    assert len(outputs) + engine.dropped == 40
    numbers = [o.frame.frame_number for o in outputs]
    assert numbers == sorted(numbers) and numbers[-1] == 40  # the newest frame is never lost


def test_max_frames_and_a_failing_source():
    engine, outputs = _run(_Frames(100), _Estimator(), max_frames=7)
    assert len(outputs) == 7 and engine.error is None
    engine, outputs = _run(_Frames(100, fail_after=5), _Estimator())
    assert len(outputs) == 5 and engine.error == "the camera was unplugged"


def test_recording_while_running_is_playable(tmp_path):
    engine = LiveEngine(_Frames(12), _Estimator(), lambda o: None)
    engine.start_recording(tmp_path / "rec.bag")
    with pytest.raises(SourceError, match=".bag"):
        engine.start_recording(tmp_path / "rec.txt")
    engine.source.open()
    engine.start()
    assert engine.join(timeout=20)
    with RecordingSource(tmp_path / "rec.bag", realtime=False) as src:
        assert [f.frame_number for f in src] == list(range(1, 13))


class _FitEstimator(_Estimator):
    """Moves the fixed hand 10 mm and reports a confidence while its fit is on; notes where it is switched."""

    def __init__(self):
        super().__init__()
        self.options = SimpleNamespace(fit=True)
        self.switched_on: list[str] = []

    def set_fit(self, on):
        self.options = SimpleNamespace(fit=on)
        self.switched_on.append(threading.current_thread().name)

    def estimate(self, depth, intr):
        r = super().estimate(depth, intr)
        if not self.options.fit:
            return replace(r, network_joints_mm=r.joints_mm)
        joints = r.joints_mm + 10.0
        return replace(r, joints_mm=joints, joints_px=intr.project(joints)[:, :2], network_joints_mm=r.joints_mm,
                       confidence=0.9, fit_error_mm=1.5)


def test_the_fit_is_switched_between_frames_on_the_inference_thread():
    estimator = _FitEstimator()
    outputs = []

    def on_output(out):
        outputs.append(out)
        if len(outputs) == 5:
            engine.set_fit(False)

    engine = LiveEngine(_Frames(12), estimator, on_output, EngineSettings(smoothing=True))
    assert engine.fit
    engine.source.open()
    engine.start()
    assert engine.join(timeout=20) and engine.error is None
    assert not engine.fit and estimator.switched_on == ["inference"]
    assert [o.result.confidence for o in outputs] == [0.9] * 5 + [None] * 7
    # Smoothing starts afresh at the switch: the network's joints show at once, not a slide from the fit's.
    np.testing.assert_allclose(outputs[5].joints_mm, outputs[5].result.network_joints_mm)
    fitted, network = outputs[4].record(outputs[4].t_infer_end), outputs[5].record(outputs[5].t_infer_end)
    assert (fitted["confidence"], fitted["fit_error_mm"]) == (0.9, 1.5)
    assert (network["confidence"], network["fit_error_mm"]) == (None, None)


def test_the_model_fit_turns_off_and_on_again_without_a_restart():
    from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
    from handpose_live.sources.synthetic import SyntheticCamera
    from handpose_live.synthetic.animation import AnimationSettings

    source = SyntheticCamera(AnimationSettings(width=320, height=240, fps=30.0), realtime=False, frames=9)
    estimator = HandPoseEstimator(EstimatorOptions())
    network_model = estimator.model
    outputs = []

    def on_output(out):
        outputs.append(out)
        if len(outputs) in (3, 6):
            engine.set_fit(len(outputs) == 6)

    engine = LiveEngine(source, estimator, on_output, EngineSettings(smoothing=False))
    source.open()
    engine.start()
    assert engine.join(timeout=120) and engine.error is None
    source.close()
    assert len(outputs) == 9 and all(o.result.hand_found for o in outputs)
    assert estimator.model is network_model  # the network was not loaded again
    for k, out in enumerate(outputs):
        r, fit_on = out.result, not 3 <= k < 6
        assert ("fit" in r.timings_ms) == fit_on and (r.confidence is not None) == fit_on, k
        assert (out.record(out.t_infer_end)["fit_error_mm"] is not None) == fit_on, k
        moved = np.linalg.norm(out.joints_mm - r.network_joints_mm, axis=1).mean()
        assert (moved > 0.5) == fit_on, (k, moved)  # the fitted joints, or exactly the network's


class _StagedEstimator(_Estimator):
    """Proposes and fits in two halves, noting when and on which thread each ran."""

    def __init__(self, work=0.02):
        super().__init__(work)
        self.options = SimpleNamespace(fit=True)
        self.spans: dict[str, list[tuple[int, float, float]]] = {"propose": [], "fit": []}
        self.threads: set[tuple[str, str]] = set()

    def _note(self, half, number, t0):
        self.spans[half].append((number, t0, time.perf_counter()))
        self.threads.add((half, threading.current_thread().name))

    def propose(self, depth, intr):
        t0 = time.perf_counter()
        result = super().estimate(depth, intr)
        self._note("propose", int(depth[0, 0]), t0)
        return SimpleNamespace(result=result, number=int(depth[0, 0]))

    def fit(self, proposal):
        t0 = time.perf_counter()
        time.sleep(self.work)
        self._note("fit", proposal.number, t0)
        return replace(proposal.result, confidence=0.8)

    def set_fit(self, on):
        self.options = SimpleNamespace(fit=on)


class _NumberedFrames(_Frames):
    def read(self):
        frame = super().read()
        if frame is not None:
            frame.depth_mm[0, 0] = frame.frame_number  # which frame a half saw
        return frame


def test_the_network_runs_on_the_next_frame_while_one_is_fitted():
    estimator = _StagedEstimator(0.02)
    engine, outputs = _run(_NumberedFrames(12), estimator, smoothing=False)
    assert engine.error is None and [o.frame.frame_number for o in outputs] == list(range(1, 13))
    assert all(o.result.confidence == 0.8 for o in outputs)
    assert estimator.threads == {("propose", "inference"), ("fit", "fit")}
    fits = {n: (a, b) for n, a, b in estimator.spans["fit"]}
    overlapped = [n for n, a, b in estimator.spans["propose"] if n - 1 in fits
                  and a < fits[n - 1][1] and fits[n - 1][0] < b]
    assert len(overlapped) >= 8  # frame n + 1 proposed while frame n was being fitted
    engine, outputs = _run(_NumberedFrames(30), _StagedEstimator(0.0), max_frames=7)
    assert len(outputs) == 7 and engine.error is None


def test_smoothing_settings_parse_scale_and_reach_the_filter():
    from handpose_live.pipeline.smoothing import Smoothing

    s = Smoothing.parse("0.8,0.02")
    assert s == Smoothing(0.8, 0.02) and s.scaled(1.25, 0.5) == Smoothing(1.0, 0.01)
    for bad in ("1.5", "a,b", "0,0.01", "1,-1"):
        with pytest.raises(ValueError):
            Smoothing.parse(bad)
    f = OneEuroFilter.of(Smoothing(1.0, 0.0))
    f(np.zeros(3), 0.0)
    slow = f(np.ones(3), 0.1)[0]
    f.set(Smoothing(20.0, 0.0))  # a higher cutoff follows a step faster
    fast = f(np.full(3, 2.0), 0.2)[0] - slow
    assert 0 < slow < fast


def test_the_api_smooths_video_frames_by_their_timestamps():
    from handpose_live import EstimatorOptions, HandPoseEstimator, Smoothing
    from handpose_live.sources.synthetic import SyntheticCamera
    from handpose_live.synthetic.animation import AnimationSettings

    with SyntheticCamera(AnimationSettings(width=320, height=240, seed=4), realtime=False, frames=6) as cam:
        frames = list(cam)
    with HandPoseEstimator(EstimatorOptions(fit=False)) as raw, \
            HandPoseEstimator(EstimatorOptions(fit=False, smoothing=Smoothing(0.5, 0.0))) as smooth:
        a = [raw.estimate(f.depth_mm, f.intrinsics) for f in frames]
        b = [smooth.estimate(f.depth_mm, f.intrinsics, timestamp_s=f.timestamp_s) for f in frames]
    assert np.allclose(a[0].joints_mm, b[0].joints_mm)  # the first frame passes unchanged
    # Heavily smoothed, the joints move less from frame to frame than the raw ones.
    step_raw = np.mean([np.abs(a[k + 1].joints_mm - a[k].joints_mm).mean() for k in range(5)])
    step_smooth = np.mean([np.abs(b[k + 1].joints_mm - b[k].joints_mm).mean() for k in range(5)])
    assert step_smooth < 0.6 * step_raw, (step_smooth, step_raw)
    assert np.allclose(b[-1].network_joints_mm, a[-1].network_joints_mm, atol=1e-3)
    assert np.allclose(b[-1].joints_px, frames[-1].intrinsics.project(b[-1].joints_mm)[:, :2])
