"""The compiled helpers the fit's terms share: njit (cached, no GIL), a dot product without BLAS,
and the Jacobian row of a point and its accumulation into the normal equations."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from handpose_live.hand.kinematics_jit import njit


def _drop_stale_kernels() -> None:
    """Delete numba's cached kernels of hand/ and fit/ when any of their sources changed.

    numba keys a cached kernel on its own file only: lm_fit (solver.py) compiled against an older
    data.py would keep running the old data term. One hash over both packages' sources decides.
    """
    package = Path(__file__).resolve().parents[1]
    sources = sorted([*(package / "hand").glob("*.py"), *(package / "fit").glob("*.py")])
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
    stamp = package / "fit" / "__pycache__" / "kernels.sha256"
    try:
        if stamp.is_file() and stamp.read_text() == digest:
            return
        for folder in (package / "hand" / "__pycache__", package / "fit" / "__pycache__"):
            for cached in [*folder.glob("*.nbi"), *folder.glob("*.nbc")]:
                cached.unlink(missing_ok=True)
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:
        pass  # a read-only install: numba then compiles in memory, which is slow but correct


_drop_stale_kernels()

__all__ = ["njit", "dot", "point_row", "add_row"]


@njit
def dot(a: np.ndarray, b: np.ndarray) -> float:
    """a · b for 3-vectors."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


@njit
def point_row(n: np.ndarray, q: np.ndarray, segment: int, axes: np.ndarray, pivots: np.ndarray,
              translation: np.ndarray, row: np.ndarray, idx: np.ndarray) -> int:
    """row = nᵀ · d q / d DOF for a point q riding on `segment` (see hand/jacobians.py), written only at
    the DOF listed in idx[:count]; returns count (6 global DOF, then up to 4 of the finger)."""
    n0, n1, n2 = n[0], n[1], n[2]
    r0, r1, r2 = q[0] - translation[0], q[1] - translation[1], q[2] - translation[2]
    row[0], row[1], row[2] = n0, n1, n2
    # n · (e_i × rel) = e_i · (rel × n)
    row[3], row[4], row[5] = r1 * n2 - r2 * n1, r2 * n0 - r0 * n2, r0 * n1 - r1 * n0
    for i in range(6):
        idx[i] = i
    if segment == 0:
        return 6
    f = (segment - 1) // 3
    k = (segment - 1) % 3
    d = 8 + 4 * f
    count = 6
    for dof in range(d, d + 4):
        if (dof == d + 2 and k < 1) or (dof == d + 3 and k < 2):
            continue
        p0, p1, p2 = q[0] - pivots[dof, 0], q[1] - pivots[dof, 1], q[2] - pivots[dof, 2]
        a0, a1, a2 = axes[dof, 0], axes[dof, 1], axes[dof, 2]
        # n · (axis × (q − pivot)) = axis · ((q − pivot) × n)
        row[dof] = a0 * (p1 * n2 - p2 * n1) + a1 * (p2 * n0 - p0 * n2) + a2 * (p0 * n1 - p1 * n0)
        idx[count] = dof
        count += 1
    return count


@njit
def add_row(h: np.ndarray, g: np.ndarray, row: np.ndarray, idx: np.ndarray, count: int, residual: float,
            weight: float) -> None:
    """Accumulate one weighted residual row over its DOF idx[:count]: H += w·rowᵀrow, g += w·row·residual."""
    for i in range(count):
        a = idx[i]
        wa = weight * row[a]
        g[a] += wa * residual
        for j in range(count):
            h[a, idx[j]] += wa * row[idx[j]]
