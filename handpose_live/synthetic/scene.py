"""What surrounds the hand in a synthetic frame (SPEC §5): in front of the user, a background plane, the body,
the head and other objects; seen from the head or from above, a table or desk with objects on it and one in
the hand."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.joints import Joint
from handpose_live.synthetic.grasp import Cylinder
from handpose_live.synthetic.raycast import LABEL_BODY, LABEL_DISTRACTOR, Primitives
from handpose_live.synthetic.render import Plane


@dataclass(frozen=True)
class SceneSettings:
    """Probabilities and ranges of the scene around the hand."""

    p_background: float = 0.8
    background_gap_mm: tuple[float, float] = (150.0, 1500.0)
    background_tilt_deg: float = 35.0
    # The torso is behind the hand in most frames, its front 80-280 mm behind the hand's middle
    # depth and never nearer than 20 mm behind its farthest joint: the SR305 user's torso is about
    # 225 mm behind the hand (median), a surface lies 40-300 mm behind in 79 % of those frames
    # (issue 13's realism table).
    p_body: float = 0.9
    body_gap_mm: tuple[float, float] = (80.0, 280.0)
    body_clearance_mm: float = 20.0
    max_distractors: int = 3
    distractor_clearance_mm: float = 40.0
    # Objects beside the hand may sit up to 50 mm nearer than its centre, so nearest-object
    # detection can pick them; 0 puts every object behind the hand.
    p_beside: float = 0.5


def _tilted_normal(rng: np.random.Generator, max_tilt_deg: float) -> np.ndarray:
    tilt = np.radians(rng.uniform(0.0, max_tilt_deg))
    az = rng.uniform(0.0, 2.0 * np.pi)
    return np.array([np.sin(tilt) * np.cos(az), np.sin(tilt) * np.sin(az), np.cos(tilt)])


def sample_scene(
    rng: np.random.Generator, hand_points_mm: np.ndarray, elbow_mm: np.ndarray, settings: SceneSettings
) -> tuple[Primitives, tuple[Plane, ...]]:
    """Random surroundings that stay behind or beside the hand, never in front of it.

    Args:
        hand_points_mm: (N, 3) points of the hand (joints) in camera mm.
        elbow_mm: the far end of the forearm, where the arm meets the body.
    """
    prims = Primitives()
    planes: list[Plane] = []
    far = float(max(hand_points_mm[:, 2].max(), elbow_mm[2]))
    centre = hand_points_mm.mean(axis=0)
    if rng.random() < settings.p_background:
        n = _tilted_normal(rng, settings.background_tilt_deg)
        # The plane passes behind the whole hand at the sampled gap along the viewing axis.
        anchor = np.array([centre[0], centre[1], far + rng.uniform(*settings.background_gap_mm)])
        planes.append(Plane(tuple(n), float(n @ anchor)))
    if rng.random() < settings.p_body:
        # Torso behind the hand (a hand held up in front of the body), between the hand and the
        # elbow sideways; the upper arm joins the elbow to a shoulder, so the arm is attached to
        # the body as in real frames; the head above. A forearm reaching deeper than the torso's
        # front goes into it, as an arm bent at the elbow would seen from the front.
        axes = rng.uniform([150, 220, 90], [210, 300, 130])
        side = rng.choice([-1.0, 1.0])
        across = centre + rng.uniform(0.0, 1.0) * (elbow_mm - centre)
        torso = np.array([
            across[0] - side * rng.uniform(0.0, 0.6) * axes[0],
            across[1] + rng.normal(0.0, 0.4 * axes[1]),
            max(np.median(hand_points_mm[:, 2]) + rng.uniform(*settings.body_gap_mm),
                hand_points_mm[:, 2].max() + settings.body_clearance_mm) + axes[2],
        ])
        prims.add_ellipsoid(torso, axes, np.eye(3), LABEL_BODY)
        shoulder = torso + np.array([side * 0.85 * axes[0], -0.7 * axes[1], 0.0])
        r_arm = rng.uniform(35.0, 50.0)
        prims.add_cones(np.array([[*elbow_mm, 0.8 * r_arm, *shoulder, r_arm]]), LABEL_BODY)
        head = torso + np.array([rng.normal(0.0, 40.0), -axes[1] - rng.uniform(90.0, 140.0), rng.normal(0.0, 40.0)])
        prims.add_ellipsoid(head, rng.uniform([70, 95, 85], [85, 120, 100]), np.eye(3), LABEL_BODY)
    for _ in range(rng.integers(0, settings.max_distractors + 1)):
        size = rng.uniform(20.0, 150.0)
        # Either somewhere behind the hand, or beside it at the hand's depth with a clear gap.
        if rng.random() < 1.0 - settings.p_beside:
            pos = centre + np.array([rng.normal(0, 200), rng.normal(0, 200), 0.0])
            pos[2] = far + settings.distractor_clearance_mm + size + rng.uniform(0, 600)
        else:
            ang = rng.uniform(0, 2 * np.pi)
            dist = 130.0 + size + rng.uniform(0, 200)
            pos = centre + np.array([dist * np.cos(ang), dist * np.sin(ang), rng.uniform(-50, 300)])
        _add_object(prims, rng, pos, size)
    return prims, tuple(planes)


def _add_object(prims: Primitives, rng: np.random.Generator, pos: np.ndarray, size: float) -> None:
    """A random ellipsoid or tapered cylinder about `size` mm across, centred at `pos`."""
    if rng.random() < 0.5:
        q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
        prims.add_ellipsoid(pos, size * rng.uniform(0.3, 1.0, 3), q, LABEL_DISTRACTOR)
    else:
        d = rng.normal(size=3)
        d *= size / np.linalg.norm(d)
        r = rng.uniform(0.1, 0.4) * size
        prims.add_cones(np.array([[*(pos - d), r, *(pos + d), r * rng.uniform(0.5, 1.2)]]), LABEL_DISTRACTOR)


@dataclass(frozen=True)
class TableSettings:
    """The table (egocentric) or desk (top-down) under the hand, what stands on it, what the hand holds."""

    # Egocentric: hand and arm this far above the table. FPHA's hands are lifted: the surface behind
    # them is 457 mm away (median) and within 300 mm in 18 % of frames; 0-150 mm here gave 275 mm and
    # 57 %, 0-350 mm gives 389 mm and 31 % (scripts/realism.py) and still has hands resting on it.
    table_gap_mm: tuple[float, float] = (0.0, 350.0)
    desk_gap_mm: tuple[float, float] = (20.0, 250.0)  # top-down: the desk this far behind them
    max_objects: int = 4
    object_distance_mm: tuple[float, float] = (90.0, 400.0)  # from the hand, along the table
    p_held: float = 0.5  # a cylinder or box in the hand (FPHA's salt shaker, a cup, a phone)


def sample_table_scene(rng: np.random.Generator, hand_points_mm: np.ndarray, elbow_mm: np.ndarray, up: np.ndarray,
                       palmar: np.ndarray, top_down: bool, settings: TableSettings = TableSettings()
                       ) -> tuple[Primitives, tuple[Plane, ...], Cylinder | None]:
    """A table or desk below the hand and arm, objects standing on it, and maybe an object held in the
    palm (returned too, for the fingers to close round it).

    Args:
        hand_points_mm: (21, 3) joints, camera mm.
        elbow_mm: the far end of the visible arm.
        up: unit normal of the table, towards the camera's side of it.
        palmar: unit vector out of the palm.
    """
    prims = Primitives()
    lowest = min(float((hand_points_mm @ up).min()), float(elbow_mm @ up))
    offset = lowest - rng.uniform(*(settings.desk_gap_mm if top_down else settings.table_gap_mm))
    planes = (Plane(tuple(up), offset),)
    centre = hand_points_mm.mean(axis=0)
    on_table = centre - (centre @ up - offset) * up
    e1 = np.cross(up, [1.0, 0.0, 0.0] if abs(up[0]) < 0.9 else [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(up, e1)
    for _ in range(rng.integers(0, settings.max_objects + 1)):
        size = rng.uniform(20.0, 120.0)
        ang, dist = rng.uniform(0.0, 2.0 * np.pi), rng.uniform(*settings.object_distance_mm) + size
        _add_object(prims, rng, on_table + dist * (np.cos(ang) * e1 + np.sin(ang) * e2) + 0.6 * size * up, size)
    if rng.random() < settings.p_held:
        # In the palm, across it, touching it: the fingers close round it or lie over it.
        palm = hand_points_mm[[Joint.WRIST, Joint.INDEX_MCP, Joint.MIDDLE_MCP, Joint.RING_MCP,
                               Joint.PINKY_MCP]].mean(axis=0)
        across = hand_points_mm[Joint.INDEX_MCP] - hand_points_mm[Joint.PINKY_MCP]
        across = across - (across @ palmar) * palmar
        across /= max(np.linalg.norm(across), 1e-9)
        r = rng.uniform(15.0, 35.0)
        half = rng.uniform(30.0, 80.0) * (across + rng.normal(0.0, 0.3, 3))
        c = palm + (15.0 + r + rng.uniform(0.0, 15.0)) * palmar
        r_end = r * rng.uniform(0.8, 1.0)
        prims.add_cones(np.array([[*(c - half), r, *(c + half), r_end]]), LABEL_DISTRACTOR)
        return prims, planes, Cylinder(c - half, c + half, 0.5 * (r + r_end))
    return prims, planes, None
