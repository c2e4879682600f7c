"""Depth-sensor artefacts applied to an ideal rendered depth image (SPEC §5).

Three sensor families: structured light (RealSense SR300/SR305, Kinect v1: projector shadow
band, disparity quantisation), active stereo (RealSense D4xx: noise growing with z²,
edge fattening) and time of flight (Kinect Azure: flying pixels, multipath at edges). All
share edge dropout, holes, a working range and 1 mm quantisation.

Dropout comes in clusters, as on real frames (issue 13's realism table: SR305 frames lose about
12 blobs around the hand, the largest hundreds of pixels, where single-pixel dropout gave 160 tiny
ones): runs along depth edges, the background strips between fingers, grazing surfaces, and
patches of hair or dark clothes on the body.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from handpose_live.synthetic.raycast import LABEL_BODY, LABEL_FOREARM, LABEL_HAND, _njit

SENSOR_KINDS = ("structured_light", "stereo", "tof")


@dataclass(frozen=True)
class SensorSettings:
    """Strength of the artefacts; `kind` None draws one of SENSOR_KINDS per frame."""

    kind: str | None = None
    min_range_mm: float = 110.0  # the generator sets both from camera.CAMERA_RANGE_MM
    max_range_mm: float = 1500.0
    edge_threshold_mm: float = 15.0
    p_edge_dropout: tuple[float, float] = (0.35, 0.7)  # of a smooth field along the edges
    p_flying: tuple[float, float] = (0.05, 0.35)
    max_holes: int = 4
    p_pixel_dropout: tuple[float, float] = (0.0, 0.0005)
    # Clustered dropout (fractions of a smooth random field, so lost pixels come in runs and patches).
    p_between_fingers: tuple[float, float] = (0.6, 1.0)  # of the background strips narrower than a finger
    p_grazing: tuple[float, float] = (0.1, 0.6)  # of surfaces seen at more than GRAZING_DEG
    p_body_holes: tuple[float, float] = (0.0, 0.35)  # of the body (hair, dark clothes)
    quantum_mm: float = 1.0


GRAZING_DEG = 70.0


@_njit
def _projector_shadow(depth, fb_px, left):
    """Zero the pixels the projector cannot see (it sits beside the camera along +x or −x).

    A pixel at column u and depth z lights from projector column u − fb/z. Scanning from the
    projector's side, a pixel whose projector column is not beyond every one seen so far is
    hidden behind a nearer surface.
    """
    h, w = depth.shape
    out = depth.copy()
    for v in range(h):
        best = 1e30
        for i in range(w):
            u = w - 1 - i if not left else i
            z = depth[v, u]
            if z <= 0.0:
                continue
            up = u - fb_px / z if not left else -(u + fb_px / z)
            if up >= best:
                out[v, u] = 0.0
            else:
                best = up
    return out


@_njit
def _edges(depth, threshold):
    """Pixels next to a depth jump (4-neighbourhood), and the depth across the jump there."""
    h, w = depth.shape
    edge = np.zeros((h, w), np.bool_)
    other = np.zeros((h, w), depth.dtype)
    for v in range(h):
        for u in range(w):
            d = depth[v, u]
            if d <= 0.0:
                continue
            best = 0.0
            across = d
            for dv, du in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                vv = v + dv
                uu = u + du
                if vv < 0 or vv >= h or uu < 0 or uu >= w:
                    continue
                n = depth[vv, uu]
                if n <= 0.0:
                    continue
                jump = abs(n - d)
                if jump > threshold and jump > best:
                    best = jump
                    across = n
            if best > 0.0:
                edge[v, u] = True
                other[v, u] = across
    return edge, other


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], cell_px: float) -> np.ndarray:
    """Random values in [0, 1) that change smoothly over about `cell_px` pixels (bilinear noise):
    thresholding it gives runs and patches instead of scattered pixels."""
    h, w = shape
    cell = max(int(round(cell_px)), 1)
    coarse = rng.random((h // cell + 2, w // cell + 2), dtype=np.float32)
    return cv2.resize(coarse, (coarse.shape[1] * cell, coarse.shape[0] * cell), interpolation=cv2.INTER_LINEAR)[:h, :w]


def _between_fingers(labels: np.ndarray, fx: float) -> np.ndarray:
    """Pixels that are not hand but lie in a gap narrower than about a finger between hand parts."""
    hand = np.isin(labels, (LABEL_HAND, LABEL_FOREARM)).astype(np.uint8)
    k = 2 * max(int(round(fx / 100.0)), 1) + 1
    closed = cv2.morphologyEx(hand, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return (closed > 0) & (hand == 0)


def _grazing(depth: np.ndarray, fx: float, edge_threshold_mm: float) -> np.ndarray:
    """Surface pixels seen at more than GRAZING_DEG from head-on (not depth jumps, which are edges)."""
    dv, du = np.gradient(depth)
    step = np.hypot(du, dv)
    slope = step * np.float32(fx) / np.maximum(depth, np.float32(1.0))  # tan of the viewing angle
    return (depth > 0) & (step < edge_threshold_mm) & (slope > np.tan(np.radians(GRAZING_DEG)))


def apply_sensor(
    depth_mm: np.ndarray, fx: float, rng: np.random.Generator, settings: SensorSettings = SensorSettings(),
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """A noisy copy of an ideal depth image (float32 mm, 0 = no data).

    Args:
        depth_mm: ideal depth (0 where nothing was hit).
        fx: focal length in pixels of this image (artefact widths scale with it).
        labels: what each pixel shows (raycast.LABEL_*); without them there is no dropout
            between the fingers or on the body.
    """
    kind = settings.kind or SENSOR_KINDS[rng.integers(len(SENSOR_KINDS))]
    d = depth_mm.astype(np.float32)
    flat = d.reshape(-1)
    edge, other = _edges(d, np.float32(settings.edge_threshold_mm))
    # Edges are sparse, so randomness is drawn for edge pixels only.
    ei = np.flatnonzero(edge)

    # Flying pixels: a mixture of foreground and background where the pixel straddles an edge.
    p_fly = rng.uniform(*settings.p_flying) * (2.0 if kind == "tof" else 1.0)
    fly = ei[rng.random(ei.size) < p_fly]
    lam = rng.random(fly.size).astype(np.float32)
    flat[fly] = lam * flat[fly] + (1 - lam) * other.reshape(-1)[fly]
    ei = np.setdiff1d(ei, fly, assume_unique=True)

    # Depth noise per sensor family.
    gauss = rng.standard_normal(d.shape, dtype=np.float32)
    if kind == "stereo":
        baseline = rng.uniform(50.0, 55.0)
        sigma_disp = rng.uniform(0.05, 0.12)
        # Stereo matches at about twice this image's focal length (640 px wide images).
        d += gauss * (d * d * np.float32(sigma_disp / (fx * 2.0 * baseline)))
    elif kind == "structured_light":
        fb = fx * rng.uniform(25.0, 75.0)
        d = _projector_shadow(d, np.float32(fb), bool(rng.random() < 0.5))
        valid = d > 0
        disp = np.float32(fb) / np.where(valid, d, np.float32(1.0))
        disp += gauss * np.float32(rng.uniform(0.03, 0.08))
        disp = np.round(disp * 8.0) / 8.0  # sub-pixel disparity steps of 1/8
        d = np.where(valid & (disp > 0), np.float32(fb) / np.maximum(disp, np.float32(1e-6)), np.float32(0.0))
    else:  # tof
        d += gauss * (np.float32(rng.uniform(0.5, 1.5)) + d * np.float32(rng.uniform(0.001, 0.003)))
    flat = d.reshape(-1)

    # Edge dropout in runs along the edge (wider on stereo: its matching window fattens and loses edges).
    h, w = d.shape
    runs = smooth_field(rng, (h, w), fx / 20.0).reshape(-1)
    drop = ei[runs[ei] < rng.uniform(*settings.p_edge_dropout)]
    if kind == "stereo":
        drop = np.concatenate([drop, np.clip(drop - 1, 0, flat.size - 1), np.clip(drop + 1, 0, flat.size - 1)])
    flat[drop] = 0.0

    # Clustered holes: grazing surfaces, narrow gaps between fingers, hair and clothes.
    patches = smooth_field(rng, (h, w), fx / 25.0)
    lost = _grazing(depth_mm.astype(np.float32), fx, settings.edge_threshold_mm)
    lost &= patches < rng.uniform(*settings.p_grazing)
    if labels is not None:
        lost |= _between_fingers(labels, fx) & (patches < rng.uniform(*settings.p_between_fingers))
        body = smooth_field(rng, (h, w), fx / 8.0)
        lost |= (labels == LABEL_BODY) & (body < rng.uniform(*settings.p_body_holes))
    d[lost] = 0.0

    # A few elliptical blobs of missing data anywhere, and scattered single-pixel dropout.
    for _ in range(rng.integers(0, settings.max_holes + 1)):
        cu, cv = rng.uniform(0, w), rng.uniform(0, h)
        ru, rv = rng.uniform(1.0, 0.04 * w), rng.uniform(1.0, 0.04 * w)
        u0, u1 = int(max(cu - ru, 0)), int(min(cu + ru + 1, w))
        v0, v1 = int(max(cv - rv, 0)), int(min(cv + rv + 1, h))
        vv, uu = np.ogrid[v0:v1, u0:u1]
        d[v0:v1, u0:u1][((uu - cu) / ru) ** 2 + ((vv - cv) / rv) ** 2 < 1.0] = 0.0
    n_drop = rng.binomial(flat.size, rng.uniform(*settings.p_pixel_dropout))
    flat[rng.integers(0, flat.size, n_drop)] = 0.0

    d[(d < settings.min_range_mm) | (d > settings.max_range_mm)] = 0.0
    q = np.float32(settings.quantum_mm)
    return np.round(d / q) * q
