"""--serial, --size, --fps and --preset for a live RealSense, against a stand-in for pyrealsense2
(no camera here): what is asked reaches the device, and what it cannot do is one sentence."""
from __future__ import annotations

import types

import pytest

from handpose_live.cli import main
from handpose_live.sources.base import SourceError
from handpose_live.sources.realsense import RealSenseCamera, RealSenseSettings


class _Profile:
    def __init__(self, w, h, fps):
        self.w, self.h, self._fps = w, h, fps

    def stream_type(self):
        return "depth"

    def format(self):
        return "z16"

    def fps(self):
        return self._fps

    def as_video_stream_profile(self):
        return types.SimpleNamespace(width=lambda: self.w, height=lambda: self.h)


class _Sensor:
    def __init__(self, presets: bool):
        self.presets = presets
        self.options: dict = {}

    def get_stream_profiles(self):
        return [_Profile(640, 480, 30), _Profile(848, 480, 30), _Profile(848, 480, 90)]

    def supports(self, option):
        return self.presets

    def set_option(self, option, value):
        self.options[option] = value


class _Device:
    def __init__(self, presets: bool):
        self.sensor = _Sensor(presets)

    def query_sensors(self):
        return [self.sensor]

    def first_depth_sensor(self):
        return self.sensor


FAKE_RS = types.SimpleNamespace(stream=types.SimpleNamespace(depth="depth"), format=types.SimpleNamespace(z16="z16"),
                                option=types.SimpleNamespace(visual_preset="visual_preset"),
                                rs400_visual_preset=types.SimpleNamespace(default=1, hand=2, high_accuracy=3,
                                                                          high_density=4))


def _camera(settings: RealSenseSettings) -> RealSenseCamera:
    cam = RealSenseCamera(settings)
    cam._rs = FAKE_RS
    return cam


def test_size_and_rate_are_picked_from_what_the_camera_offers():
    device = _Device(presets=True)
    assert _camera(RealSenseSettings(848, 480))._pick_fps(device) == 90  # the highest at that size
    assert _camera(RealSenseSettings(848, 480, fps=30))._pick_fps(device) == 30
    with pytest.raises(SourceError, match="offers 848x480 depth at 30, 90 fps, not 60"):
        _camera(RealSenseSettings(848, 480, fps=60))._pick_fps(device)
    with pytest.raises(SourceError, match="no 1280x720 depth stream .it has: 640x480, 848x480"):
        _camera(RealSenseSettings(1280, 720))._pick_fps(device)


def test_presets_reach_the_depth_sensor_or_say_the_camera_has_none():
    device = _Device(presets=True)
    _camera(RealSenseSettings(preset="high-accuracy"))._apply_preset(device)
    assert device.sensor.options == {"visual_preset": 3.0}
    with pytest.raises(SourceError, match="has no visual presets"):
        _camera(RealSenseSettings(preset="hand"))._apply_preset(_Device(presets=False))
    with pytest.raises(ValueError, match="unknown preset"):
        RealSenseSettings(preset="night")


@pytest.mark.parametrize("argv, says", [
    (["--size", "848x480"], "--size is for a live RealSense: add --camera realsense"),
    (["--camera", "realsense", "--size", "848"], "expected WIDTHxHEIGHT"),
    (["--bag", "x.bag", "--preset", "hand"], "--preset is for a live RealSense"),
])
def test_realsense_options_for_another_source_or_malformed_are_one_sentence(argv, says, capsys):
    assert main(["--headless", "--max-frames", "1", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
