"""--stream: UDP datagrams and the WebSocket server, end to end with the synthetic camera."""
from __future__ import annotations

import io
import json
import socket

import pytest

from handpose_live.cli import main
from handpose_live.runtime.headless import run_headless
from handpose_live.runtime.session import LiveOptions
from handpose_live.stream.message import SCHEMA_VERSION
from handpose_live.stream.targets import StreamTarget, parse_target
from handpose_live.stream.udp import UdpStream
from handpose_live.stream.websocket import MAX_BUFFERED, WebSocketStream, due

FRAMES = 6


def test_targets_parse_and_default_to_this_machine_only():
    assert parse_target("ws://:8765") == StreamTarget("ws", "127.0.0.1", 8765)
    assert parse_target("ws://0.0.0.0:9000") == StreamTarget("ws", "0.0.0.0", 9000)
    assert parse_target("udp://192.168.1.5:5005") == StreamTarget("udp", "192.168.1.5", 5005)
    assert str(parse_target("udp://[::1]:5005")) == "udp://[::1]:5005"
    for bad, says in (("tcp://x:1", "expected udp://"), ("ws://localhost", "give a port"),
                      ("udp://127.0.0.1:0", "real port"), ("osc://127.0.0.1:0", "real port"),
                      ("ws://h:99999", "give a port")):
        with pytest.raises(ValueError, match=says):
            parse_target(bad)


def test_a_slow_client_keeps_only_the_newest_frame():
    buffered = {"fast": 0, "slow": MAX_BUFFERED + 1}
    waiting = {"fast": "a", "slow": "a"}
    assert due(waiting, buffered.get) == {"a": ["fast"]} and waiting == {"fast": None, "slow": "a"}
    waiting.update(fast="b", slow="b")  # the next frame replaces the one the slow client missed
    assert due(waiting, buffered.get) == {"b": ["fast"]}
    buffered["slow"] = 0  # its buffer drained: it gets the newest frame, once
    assert due(waiting, buffered.get) == {"b": ["slow"]} and due(waiting, buffered.get) == {}


def test_frames_reach_a_websocket_client_and_a_udp_receiver():
    from websockets.sync.client import connect

    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5.0)
    ws_stream = WebSocketStream("127.0.0.1", 0)
    udp_stream = UdpStream("127.0.0.1", receiver.getsockname()[1])
    try:
        with connect(f"ws://127.0.0.1:{ws_stream.port}", open_timeout=5) as client:
            stdout = io.StringIO()
            options = LiveOptions(headless=True, realtime=False, max_frames=FRAMES)
            assert run_headless(options, stdout, io.StringIO(), sinks=(ws_stream, udp_stream)) == 0
            hello = json.loads(client.recv(timeout=5))
            got = []
            while True:
                try:
                    got.append(json.loads(client.recv(timeout=2)))
                except TimeoutError:
                    break
    finally:
        ws_stream.close()
        udp_stream.close()
    assert hello["type"] == "hello" and hello["schema"] == SCHEMA_VERSION
    assert set(hello["intrinsics"]) == {"fx", "fy", "cx", "cy", "width", "height"} and len(hello["joints"]) == 21
    # Never more frames than were processed, and the newest one always arrives (older may be skipped).
    lines = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert 1 <= len(got) <= FRAMES and got[-1]["frame"] == lines[-1]["frame"]
    last = got[-1]
    assert last["type"] == "frame" and last["schema"] == SCHEMA_VERSION
    assert last["joints_mm"] == lines[-1]["joints_mm"] and len(last["joints_px"]) == 21
    assert last["handedness"] in ("left", "right") and 0.5 <= last["handedness_score"] <= 1.0
    datagrams = []
    try:
        while True:
            datagrams.append(json.loads(receiver.recv(65536)))
    except (TimeoutError, socket.timeout):
        pass
    finally:
        receiver.close()
    assert datagrams[0]["type"] == "hello"
    assert [d["frame"] for d in datagrams if d["type"] == "frame"] == [ln["frame"] for ln in lines]


def test_bad_streams_are_one_sentence_before_anything_runs(capsys):
    assert main(["--headless", "--max-frames", "1", "--stream", "http://x:1"]) == 2
    assert "expected udp://HOST:PORT, ws://HOST:PORT or osc://HOST:PORT" in capsys.readouterr().err
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        code = main(["--headless", "--max-frames", "1", "--stream", f"ws://127.0.0.1:{busy.getsockname()[1]}"])
    finally:
        busy.close()
    err = capsys.readouterr().err
    assert code != 0 and "cannot serve WebSockets on 127.0.0.1" in err and "Traceback" not in err


def _osc_decode(data: bytes) -> tuple[str, list]:
    """An OSC message's address and arguments (the test's own reader of OSC 1.0)."""
    import struct

    def string(at: int) -> tuple[str, int]:
        end = data.index(b"\0", at)
        return data[at:end].decode(), (end + 4) & ~3

    address, at = string(0)
    tags, at = string(at)
    args = []
    for t in tags[1:]:
        if t == "s":
            value, at = string(at)
        else:
            value, at = struct.unpack(">i" if t == "i" else ">f", data[at:at + 4])[0], at + 4
        args.append(value)
    return address, args


def test_osc_messages_reach_a_receiver():
    from handpose_live.stream.osc import OscStream

    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5.0)
    osc = OscStream("127.0.0.1", receiver.getsockname()[1])
    stdout = io.StringIO()
    try:
        assert run_headless(LiveOptions(headless=True, realtime=False, max_frames=2), stdout, io.StringIO(),
                            sinks=(osc,)) == 0
        got = [_osc_decode(receiver.recv(65536)) for _ in range(6)]
    finally:
        osc.close()
        receiver.close()
    line = json.loads(stdout.getvalue().splitlines()[-1])
    frame = [a for addr, a in got if addr == "/handpose/frame"][-1]
    joints = [a for addr, a in got if addr == "/handpose/joints"][-1]
    assert frame[0] == line["frame"] and frame[1] == 1 and frame[3] in ("left", "right")
    assert len(joints) == 63 and abs(joints[8 * 3 + 2] - line["joints_mm"][8][2]) < 0.1
    assert sum(addr == "/handpose/joints_px" for addr, _ in got) == 2
