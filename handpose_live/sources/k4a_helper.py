"""Azure Kinect (and Orbbec Femto's K4A wrapper) depth through pyk4a-bundle, in its own process.

pyk4a-bundle's compiled module needs numpy < 2 and the app needs numpy ≥ 2, so this file runs
under the interpreter of `.venv-kinect` (`make kinect`) and talks to the app over pipes. It
imports nothing from handpose_live, only the standard library, numpy and (inside the
commands) pyk4a, so the app can also import it for the wire format.

Wire format (stdout of `stream`, stdin of `write`): one JSON line with the stream's header
(name, width, height, fx, fy, cx, cy, fps), then per frame a 16-byte little-endian record
(frame number int64, device timestamp µs int64) and width × height uint16 depth in mm. A
record with frame number −1 ends the stream. Errors: one sentence on stderr, exit 2.

    python k4a_helper.py stream --mkv FILE      # play a recording
    python k4a_helper.py stream --device 0      # a live camera
    python k4a_helper.py write FILE.mkv         # frames in on stdin → a playable .mkv
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import struct
import sys
from pathlib import Path
from typing import BinaryIO

import numpy as np

RECORD = struct.Struct("<qq")
END = -1
# K4A's depth mode that a 640×576 image comes from (NFOV unbinned), and where that image sits
# on the 1024×1024 sensor whose normalised intrinsics the calibration file stores.
NFOV_UNBINNED = 2
NFOV_SIZE = (640, 576)
NFOV_OFFSET = (192.0, 180.0)
SENSOR_SIZE = 1024
_FPS_CODES = {5.0: 0, 15.0: 1, 30.0: 2}
_DEPTH16 = 4


class HelperError(Exception):
    """One sentence for the user."""


def write_header(out: BinaryIO, header: dict) -> None:
    """Send the stream's header line."""
    out.write(json.dumps(header).encode() + b"\n")


def read_header(inp: BinaryIO) -> dict:
    """Receive the stream's header line; HelperError when the stream ended before it."""
    line = inp.readline()
    try:
        return json.loads(line)
    except ValueError:
        raise HelperError("the Kinect helper ended before sending its stream header") from None


def write_frame(out: BinaryIO, number: int, timestamp_us: int, depth: np.ndarray) -> None:
    """Send one frame of uint16 mm."""
    out.write(RECORD.pack(number, timestamp_us))
    out.write(np.ascontiguousarray(depth, dtype="<u2").tobytes())


def write_end(out: BinaryIO) -> None:
    """Mark the end of the stream (a recording's end, not a failure)."""
    out.write(RECORD.pack(END, 0))
    out.flush()


def _read_exactly(inp: BinaryIO, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = inp.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(inp: BinaryIO, width: int, height: int) -> tuple[int, int, np.ndarray] | None:
    """The next (number, timestamp µs, depth uint16 (H, W)); None at the end mark.

    Raises EOFError when the pipe closes without an end mark (the other side failed).
    """
    head = _read_exactly(inp, RECORD.size)
    if head is None:
        raise EOFError
    number, timestamp_us = RECORD.unpack(head)
    if number == END:
        return None
    data = _read_exactly(inp, 2 * width * height)
    if data is None:
        raise EOFError
    return number, timestamp_us, np.frombuffer(data, dtype="<u2").reshape(height, width)


# --- playback and live capture through pyk4a -------------------------------------------------

def _import_pyk4a():
    try:
        import pyk4a
    except ImportError as e:
        raise HelperError(f"pyk4a-bundle did not load ({e}); run `make kinect`") from None
    return pyk4a


def _header(name: str, calibration, depth_mode, fps: float) -> dict:
    pyk4a = _import_pyk4a()
    k = calibration.get_camera_matrix(pyk4a.CalibrationType.DEPTH)
    w, h = {1: (320, 288), 2: (640, 576), 3: (512, 512), 4: (1024, 1024)}[int(depth_mode)]
    return {"name": name, "width": w, "height": h, "fx": float(k[0, 0]), "fy": float(k[1, 1]),
            "cx": float(k[0, 2]), "cy": float(k[1, 2]), "fps": fps}


def _fps_value(code) -> float:
    return {0: 5.0, 1: 15.0, 2: 30.0}[int(code)]


def stream_recording(path: Path, out: BinaryIO) -> None:
    """Play an Azure Kinect .mkv's depth track to `out`."""
    pyk4a = _import_pyk4a()
    playback = pyk4a.PyK4APlayback(str(path))
    try:
        playback.open()
    except pyk4a.K4AException:
        raise HelperError(f"{path} cannot be played as an Azure Kinect recording") from None
    try:
        config = playback.configuration
        if not config["depth_track_enabled"] or int(config["depth_mode"]) in (0, 5):
            raise HelperError(f"{path} holds no depth track")
        try:
            calibration = playback.calibration
        except pyk4a.K4AException:
            raise HelperError(f"{path} has no usable calibration, so its depth cannot be placed in 3D") from None
        write_header(out, _header(path.name, calibration, config["depth_mode"], _fps_value(config["camera_fps"])))
        number = 0
        while True:
            try:
                capture = playback.get_next_capture()
            except EOFError:
                break
            except pyk4a.K4AException:
                raise HelperError(f"{path} is damaged after frame {number}") from None
            if capture.depth is None:
                continue  # a colour-only capture
            write_frame(out, number, capture.depth_timestamp_usec, capture.depth)
            number += 1
        write_end(out)
    finally:
        playback.close()


def stream_device(index: int, out: BinaryIO) -> None:
    """Stream a live camera's depth (NFOV unbinned, 30 fps) to `out` until the pipe closes."""
    pyk4a = _import_pyk4a()
    if pyk4a.connected_device_count() <= index:
        raise HelperError("no Azure Kinect / Orbbec Femto is connected (check USB and power, "
                          "or replay a file with --bag FILE.mkv)")
    config = pyk4a.Config(color_resolution=pyk4a.ColorResolution.OFF, depth_mode=pyk4a.DepthMode.NFOV_UNBINNED,
                          camera_fps=pyk4a.FPS.FPS_30, synchronized_images_only=False)
    device = pyk4a.PyK4A(config, device_id=index)
    try:
        device.start()
    except pyk4a.K4AException as e:
        raise HelperError(f"the Kinect could not start streaming ({e})") from None
    try:
        write_header(out, _header(f"Azure Kinect {device.serial}", device.calibration, config.depth_mode, 30.0))
        number = 0
        while True:
            try:
                capture = device.get_capture(timeout=5000)
            except pyk4a.K4AException:
                raise HelperError("the Kinect stopped sending frames") from None
            if capture.depth is None:
                continue
            write_frame(out, number, capture.depth_timestamp_usec, capture.depth)
            out.flush()
            number += 1
    finally:
        device.stop()


# --- writing synthetic recordings through libk4arecord ---------------------------------------

class _DeviceConfig(ctypes.Structure):
    """k4a_device_configuration_t."""

    _fields_ = [("color_format", ctypes.c_int), ("color_resolution", ctypes.c_int), ("depth_mode", ctypes.c_int),
                ("camera_fps", ctypes.c_int), ("synchronized_images_only", ctypes.c_bool),
                ("depth_delay_off_color_usec", ctypes.c_int32), ("wired_sync_mode", ctypes.c_int),
                ("subordinate_delay_off_master_usec", ctypes.c_uint32),
                ("disable_streaming_indicator", ctypes.c_bool)]


def _libraries():
    """libk4a and libk4arecord as bundled in pyk4a-bundle's wheel."""
    pyk4a = _import_pyk4a()
    libs = Path(pyk4a.__file__).resolve().parent.parent / "pyk4a_bundle.libs"
    found = [sorted(libs.glob(f"{name}-*.so*")) for name in ("libk4a", "libk4arecord")]
    if not all(found):
        raise HelperError(f"libk4a / libk4arecord are not in {libs}; reinstall pyk4a-bundle (make kinect)")
    k4a, record = (ctypes.CDLL(str(f[0])) for f in found)
    k4a.k4a_image_get_buffer.restype = ctypes.POINTER(ctypes.c_uint8)
    return k4a, record


def calibration_json(fx: float, fy: float, cx: float, cy: float) -> bytes:
    """A K4A factory calibration (the `calibration.json` attachment) whose NFOV unbinned depth
    intrinsics are (fx, fy, cx, cy) without distortion; colour and IMU are nominal."""
    eye = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    s = float(SENSOR_SIZE)
    # K4A stores intrinsics normalised on the full sensor and with pixel centres at +0.5.
    depth_params = [(cx + 0.5 + NFOV_OFFSET[0]) / s, (cy + 0.5 + NFOV_OFFSET[1]) / s, fx / s, fy / s] + [0.0] * 10

    def camera(location: str, purpose: str, width: int, height: int, params: list, translation: list) -> dict:
        return {"Intrinsics": {"ModelParameterCount": 14, "ModelParameters": params,
                               "ModelType": "CALIBRATION_LensDistortionModelBrownConrady"},
                "Location": location, "Purpose": purpose, "MetricRadius": 1.7,
                "Rt": {"Rotation": eye, "Translation": translation}, "SensorHeight": height, "SensorWidth": width,
                "Shutter": "CALIBRATION_ShutterTypeUndefined", "ThermalAdjustmentParams": {"Params": [0.0] * 12}}

    def imu(kind: str, mask: int) -> dict:
        return {"BiasTemperatureModel": [0.0] * 12, "BiasUncertainty": [1e-4] * 3,
                "Id": "CALIBRATION_InertialSensorId_LSM6DSM",
                "MixingMatrixTemperatureModel": [1.0 if i % 16 == 0 else 0.0 for i in range(36)],
                "ModelTypeMask": mask, "Noise": [1e-3] * 3 + [0.0] * 3,
                "Rt": {"Rotation": eye, "Translation": [0.0] * 3}, "SecondOrderScaling": [0.0] * 9,
                "SensorType": kind, "TemperatureBounds": [5, 60], "TemperatureC": 0}

    info = {"Cameras": [
        camera("CALIBRATION_CameraLocationD0", "CALIBRATION_CameraPurposeDepth", SENSOR_SIZE, SENSOR_SIZE,
               depth_params, [0.0] * 3),
        camera("CALIBRATION_CameraLocationPV0", "CALIBRATION_CameraPurposePhotoVideo", 4096, 3072,
               [0.5, 0.5, 0.48, 0.64] + [0.0] * 10, [-0.032, 0.0, 0.004])],
        "InertialSensors": [imu("CALIBRATION_InertialSensorType_Gyro", 16),
                            imu("CALIBRATION_InertialSensorType_Accelerometer", 56)],
        "Metadata": {"SerialId": "000000000000", "FactoryCalDate": "1/1/2026 12:00:00 AM GMT",
                     "Version": {"Major": 1, "Minor": 2}, "DeviceName": "handpose-live synthetic",
                     "Notes": "written by handpose-live"}}
    return json.dumps({"CalibrationInformation": info}).encode()


def write_recording(path: Path, inp: BinaryIO) -> int:
    """Write the frames arriving on `inp` to an Azure Kinect .mkv (depth track, NFOV unbinned);
    returns the number of frames. The file is finished even if the sender stops early."""
    header = read_header(inp)
    width, height = header["width"], header["height"]
    if (width, height) != NFOV_SIZE:
        raise HelperError(f"Kinect recordings hold {NFOV_SIZE[0]}x{NFOV_SIZE[1]} depth (NFOV unbinned), "
                          f"not {width}x{height}")
    fps_code = _FPS_CODES.get(float(header["fps"]))
    if fps_code is None:
        raise HelperError(f"Kinect recordings run at 5, 15 or 30 fps, not {header['fps']:g}")
    k4a, rec = _libraries()
    handle = ctypes.c_void_p()
    # No device handle: libk4arecord then writes no calibration, so we attach our own.
    config = _DeviceConfig(0, 0, NFOV_UNBINNED, fps_code, False, 0, 0, 0, False)
    if rec.k4a_record_create(str(path).encode(), None, config, ctypes.byref(handle)) != 0:
        raise HelperError(f"{path} cannot be created")
    frames = 0
    try:
        blob = calibration_json(header["fx"], header["fy"], header["cx"], header["cy"])
        if (rec.k4a_record_add_attachment(handle, b"calibration.json", blob, ctypes.c_size_t(len(blob))) != 0
                or rec.k4a_record_write_header(handle) != 0):
            raise HelperError(f"the header of {path} could not be written")
        last_us = -1
        while True:
            try:
                item = read_frame(inp, width, height)
            except EOFError:
                break  # the sender stopped (Ctrl+C): keep what arrived
            if item is None:
                break
            _, timestamp_us, depth = item
            timestamp_us = max(timestamp_us, last_us + 1)  # the track's clock must advance
            last_us = timestamp_us
            _write_capture(k4a, rec, handle, depth, timestamp_us)
            frames += 1
        rec.k4a_record_flush(handle)
    finally:
        rec.k4a_record_close(handle)
    return frames


def _write_capture(k4a, rec, handle, depth: np.ndarray, timestamp_us: int) -> None:
    capture, image = ctypes.c_void_p(), ctypes.c_void_p()
    height, width = depth.shape
    if k4a.k4a_capture_create(ctypes.byref(capture)) != 0:
        raise HelperError("libk4a could not allocate a capture")
    try:
        if k4a.k4a_image_create(_DEPTH16, width, height, 2 * width, ctypes.byref(image)) != 0:
            raise HelperError("libk4a could not allocate an image")
        buffer = np.ctypeslib.as_array(k4a.k4a_image_get_buffer(image), shape=(height * width * 2,))
        buffer[:] = np.ascontiguousarray(depth, dtype="<u2").view(np.uint8).ravel()
        k4a.k4a_image_set_device_timestamp_usec(image, ctypes.c_uint64(timestamp_us))
        k4a.k4a_capture_set_depth_image(capture, image)
        k4a.k4a_image_release(image)
        if rec.k4a_record_write_capture(handle, capture) != 0:
            raise HelperError("a frame could not be written")
    finally:
        k4a.k4a_capture_release(capture)


def main(argv: list[str] | None = None) -> int:
    """Command line of the helper (run by the app, not by users)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser("stream")
    which = st.add_mutually_exclusive_group(required=True)
    which.add_argument("--mkv", type=Path)
    which.add_argument("--device", type=int)
    wr = sub.add_parser("write")
    wr.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    # libk4a logs to stdout: the frames get a private copy of it, the rest goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        if args.command == "write":
            print(write_recording(args.path, sys.stdin.buffer))
        elif args.mkv is not None:
            stream_recording(args.mkv, out)
        else:
            stream_device(args.device, out)
        out.flush()
    except HelperError as e:
        print(e, file=sys.stderr)
        return 2
    except (BrokenPipeError, KeyboardInterrupt):
        return 0  # the app closed the stream: a normal stop
    return 0


if __name__ == "__main__":
    sys.exit(main())
