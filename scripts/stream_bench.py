"""What --stream costs: pipeline frames per second of a headless replay with 0, 1 and 4 WebSocket
clients and with one UDP target, and the capture → client latency the clients measure.

    python scripts/stream_bench.py [--frames 300] [--repeats 2] [--json OUT.json]

A 640×480 synthetic recording is replayed with --no-realtime (every frame processed, as fast as
the CPU allows), so the rate is the pipeline's own; each client is its own process reading every
message it can. Runs alternate between the set-ups, `--repeats` times each; the median is
reported. Not a test: timings depend on the machine.
"""
from __future__ import annotations

import argparse
import io
import json
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from handpose_live.runtime.headless import run_headless
from handpose_live.runtime.recordings import write_synthetic_recording
from handpose_live.runtime.session import LiveOptions
from handpose_live.stream.targets import StreamTarget, open_streams

# A client: connects, measures capture → receipt per frame message until the server goes.
CLIENT = """
import asyncio, json, sys, time
from websockets.asyncio.client import connect
async def main(url):
    lat = []
    try:
        async with connect(url) as ws:
            print("ready", flush=True)
            async for text in ws:
                m = json.loads(text)
                if m["type"] == "frame":
                    lat.append(time.time() * 1000 - m["sent_unix_ms"] + m["latency_ms"])
    except Exception:
        pass
    lat.sort()
    print(json.dumps({"frames": len(lat), "median_ms": lat[len(lat) // 2] if lat else None}), flush=True)
asyncio.run(main(sys.argv[1]))
"""


def _cpu_s() -> float:
    """CPU seconds of this process so far (all its threads: the pipeline's and the servers')."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_once(recording: Path, ws_clients: int, udp: bool) -> dict:
    """One headless replay with these streams; its rate and what the clients measured."""
    targets = ()
    receiver = None
    if ws_clients:
        targets += (StreamTarget("ws", "127.0.0.1", 0),)
    if udp:
        receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        receiver.bind(("127.0.0.1", 0))
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        targets += (StreamTarget("udp", "127.0.0.1", receiver.getsockname()[1]),)
    streams = open_streams(targets)
    clients = []
    try:
        if ws_clients:
            url = f"ws://127.0.0.1:{streams.sinks[0].port}"
            clients = [subprocess.Popen([sys.executable, "-c", CLIENT, url], stdout=subprocess.PIPE, text=True)
                       for _ in range(ws_clients)]
            for c in clients:
                c.stdout.readline()  # "ready"
        out = io.StringIO()
        t0, cpu0 = time.perf_counter(), _cpu_s()
        code = run_headless(LiveOptions(recording=recording, headless=True, realtime=False), out, io.StringIO(),
                            sinks=tuple(streams.sinks))
        seconds, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
        frames = len(out.getvalue().splitlines())
    finally:
        streams.close()
    results = [json.loads(c.communicate(timeout=30)[0].splitlines()[-1]) for c in clients]
    got_udp = 0
    if receiver is not None:
        receiver.settimeout(0.5)
        try:
            while True:
                if json.loads(receiver.recv(65536))["type"] == "frame":
                    got_udp += 1
        except (TimeoutError, socket.timeout):
            pass
        receiver.close()
    if code != 0:
        raise SystemExit(f"the replay failed (exit {code})")
    return {"fps": frames / seconds, "frames": frames, "cpu_ms_per_frame": 1000.0 * cpu / frames,
            "client_frames": [r["frames"] for r in results],
            "client_median_ms": [r["median_ms"] for r in results], "udp_frames": got_udp if udp else None}


def publish_cost(recording: Path, ws_clients: int, udp: bool, messages: int = 1000, rate_hz: float = 100.0) -> float:
    """CPU ms this process spends per frame on streaming alone: one real frame's output published
    `messages` times at `rate_hz` (no pipeline running), clients in their own processes."""
    from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
    from handpose_live.runtime.engine import FrameOutput
    from handpose_live.sources.realsense import RecordingSource

    with RecordingSource(recording, realtime=False) as src, HandPoseEstimator(EstimatorOptions()) as est:
        frame = src.read()
        r = est.estimate(frame.depth_mm, frame.intrinsics)
    out = FrameOutput(frame, r, r.joints_mm, r.joints_px, None, time.perf_counter(), 0.0, 0.0)
    targets = ((StreamTarget("ws", "127.0.0.1", 0),) if ws_clients else ()) + \
        ((StreamTarget("udp", "127.0.0.1", 9),) if udp else ())  # port 9: discard
    streams = open_streams(targets)
    clients = []
    if ws_clients:
        url = f"ws://127.0.0.1:{streams.sinks[0].port}"
        clients = [subprocess.Popen([sys.executable, "-c", CLIENT, url], stdout=subprocess.PIPE, text=True)
                   for _ in range(ws_clients)]
        for c in clients:
            c.stdout.readline()
    cpu0, t0 = _cpu_s(), time.perf_counter()
    for k in range(messages):
        for sink in streams.sinks:
            sink.publish(out)
        time.sleep(max(0.0, t0 + (k + 1) / rate_hz - time.perf_counter()))
    cpu = _cpu_s() - cpu0
    streams.close()
    for c in clients:
        c.communicate(timeout=30)
    return 1000.0 * cpu / messages


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    setups = {"no stream": (0, False), "1 WebSocket client": (1, False), "4 WebSocket clients": (4, False),
              "1 UDP target": (0, True)}
    with tempfile.TemporaryDirectory() as tmp:
        recording = Path(tmp) / "bench.bag"
        write_synthetic_recording(recording, args.frames, progress=False)
        run_once(recording, 0, False)  # warm-up: numba, ONNX Runtime, the file cache
        runs: dict[str, list[dict]] = {name: [] for name in setups}
        for _ in range(args.repeats):
            for name, (ws, udp) in setups.items():
                runs[name].append(run_once(recording, ws, udp))
                print(f"{name}: {runs[name][-1]['fps']:.1f} fps", file=sys.stderr)
        costs = {name: publish_cost(recording, ws, udp) for name, (ws, udp) in setups.items()}
    base = statistics.median(r["fps"] for r in runs["no stream"])
    rows = {}
    base_cpu = statistics.median(r["cpu_ms_per_frame"] for r in runs["no stream"])
    print(f"| set-up ({args.frames}-frame 640×480 replay, --no-realtime) | frames/s | vs no stream | "
          "app CPU per frame | frames each client got | capture → client, median |")
    print("|---|---|---|---|---|---|")
    for name, rs in runs.items():
        fps = statistics.median(r["fps"] for r in rs)
        lat = [m for r in rs for m in r["client_median_ms"] if m is not None]
        got = [f for r in rs for f in r["client_frames"]] or ([r["udp_frames"] for r in rs] if rs[0]["udp_frames"]
                                                              is not None else [])
        cpu = statistics.median(r["cpu_ms_per_frame"] for r in rs)
        rows[name] = {"fps": fps, "relative": fps / base, "cpu_ms_per_frame": cpu, "client_frames": got,
                      "client_median_ms": statistics.median(lat) if lat else None}
        got_text = f"{min(got)}–{max(got)} of {args.frames}" if got else "–"
        lat_text = f"{statistics.median(lat):.1f} ms" if lat else "–"
        print(f"| {name} | {fps:.1f} | {fps / base - 1:+.1%} | {cpu:.2f} ms ({cpu - base_cpu:+.2f}) | {got_text} | "
              f"{lat_text} |")
    print("\n| streaming alone, 1,000 frames published at 100/s | app CPU per frame |\n|---|---|")
    for name, ms in costs.items():
        print(f"| {name} | {ms:.3f} ms ({ms - costs['no stream']:+.3f}) |")
    if args.json:
        args.json.write_text(json.dumps({"frames": args.frames, "repeats": args.repeats, "runs": runs,
                                         "summary": rows, "publish_cpu_ms": costs}, indent=1))


if __name__ == "__main__":
    main()
