"""Writing synthetic training data as sharded .npz files, in parallel, resumably."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from handpose_live.errors import UserError
from handpose_live.synthetic.generator import SynthSettings, generate_samples

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class ShardError(UserError):
    """The output folder holds data that does not match this request."""


def shard_path(out_dir: Path, shard: int) -> Path:
    """File name of shard number `shard`."""
    return out_dir / f"shard_{shard:05d}.npz"


def _write_shard(out_dir: str, shard: int, seed: int, start: int, count: int, settings: SynthSettings) -> int:
    data = generate_samples(seed, start, count, settings)
    final = shard_path(Path(out_dir), shard)
    tmp = final.with_suffix(".tmp.npz")
    np.savez(tmp, **data)
    os.replace(tmp, final)  # a shard is either complete or absent, even if interrupted
    return count


def write_shards(
    out_dir: Path,
    count: int,
    seed: int = 0,
    workers: int | None = None,
    shard_size: int = 500,
    settings: SynthSettings = SynthSettings(),
    progress: bool = True,
) -> list[Path]:
    """Write `count` samples of `seed` into `out_dir`; shards already there are kept (resume).

    Raises ShardError if `out_dir` holds a dataset made with other settings, seed or size.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format_version": FORMAT_VERSION,
        "seed": seed,
        "count": count,
        "shard_size": shard_size,
        "settings": json.loads(json.dumps(asdict(settings))),
    }
    mpath = out_dir / MANIFEST
    if mpath.exists():
        old = json.loads(mpath.read_text())
        if old != manifest:
            raise ShardError(
                f"{out_dir} already holds a dataset made with other settings (seed {old.get('seed')}, "
                f"{old.get('count')} samples); choose another --out folder"
            )
    else:
        mpath.write_text(json.dumps(manifest, indent=1))

    jobs = [(k, s, min(shard_size, count - s)) for k, s in enumerate(range(0, count, shard_size))]
    todo = [j for j in jobs if not shard_path(out_dir, j[0]).exists()]
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    bar = tqdm(total=count, initial=count - sum(j[2] for j in todo), unit="sample", disable=not progress, desc="synth")
    if workers == 1:
        for k, s, n in todo:
            bar.update(_write_shard(str(out_dir), k, seed, s, n, settings))
    else:
        # fork keeps the compiled numba kernels of this process in the workers.
        ctx = mp.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            futures = [pool.submit(_write_shard, str(out_dir), k, seed, s, n, settings) for k, s, n in todo]
            for f in as_completed(futures):
                bar.update(f.result())
    bar.close()
    return [shard_path(out_dir, k) for k, _, _ in jobs]


def load_shards(paths: list[Path]) -> dict[str, np.ndarray]:
    """Concatenate shards into one dict of arrays."""
    parts = [dict(np.load(p)) for p in paths]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
