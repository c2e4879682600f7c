"""The model fit: its closest points and Jacobian rows, recovery of rendered poses, and bad input."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import PALM_TO_CAMERA

from handpose_live.camera import Intrinsics
from handpose_live.fit.fitter import FitSettings, Fitter, confidence
from handpose_live.fit.jit import point_row
from handpose_live.fit.model import closest_on_cone
from handpose_live.hand.jacobians import HandState, joint_axes, point_jacobian, posed_joints
from handpose_live.hand.kinematics_jit import posed_kinematics, shape_arrays
from handpose_live.hand.limits import clip_to_limits
from handpose_live.hand.pose import HandPose, pose_angles
from handpose_live.hand.shape import HandShape
from handpose_live.synthetic.poses import GESTURES
from handpose_live.synthetic.render import Plane, render_depth
from handpose_live.synthetic.sensor import SensorSettings, apply_sensor

VGA = Intrinsics(476.0, 476.0, 313.7, 242.8, 640, 480)
SHAPE = HandShape.default()


def test_closest_point_on_a_round_cone_is_the_nearest_surface_point():
    rng = np.random.default_rng(0)
    cone = np.array([0.0, 0.0, 0.0, 10.0, 40.0, 5.0, 0.0, 6.0])
    # The surface sampled densely: spheres swept along the axis, radius interpolated.
    t = np.linspace(0, 1, 400)[:, None]
    centres = (1 - t) * cone[0:3] + t * cone[4:7]
    radii = (1 - t[:, 0]) * cone[3] + t[:, 0] * cone[7]
    for p in rng.normal(0, 30, (50, 3)) + [20, 0, 0]:
        s0, s1, s2, r, n0, n1, n2, _ = closest_on_cone(*p, cone)
        q = np.array([s0, s1, s2]) + r * np.array([n0, n1, n2])
        brute = np.min(np.linalg.norm(p - centres, axis=1) - radii)
        inside = brute < 0
        assert abs(np.linalg.norm(p - q) * (-1 if inside else 1) - brute) < 0.05


def test_jacobian_rows_are_the_normal_times_the_point_jacobian():
    rng = np.random.default_rng(1)
    state = HandState(PALM_TO_CAMERA, np.array([5.0, 30.0, 420.0]),
                      pose_angles(HandPose(clip_to_limits(GESTURES["claw"] + rng.normal(0, 5, (5, 4))), np.zeros(2))))
    joints = posed_joints(SHAPE, state)
    _, axes, pivots = posed_kinematics(*shape_arrays(SHAPE), state.rotation, state.translation, state.angles)
    row, idx = np.zeros(28), np.zeros(10, np.int64)
    for segment in (0, 4, 5, 6, 13):
        point = joints[9] + rng.normal(0, 10, 3)
        n = rng.normal(size=3)
        count = point_row(n, point, segment, axes, pivots, state.translation, row, idx)
        dense = np.zeros(28)
        dense[idx[:count]] = row[idx[:count]]
        expected = n @ point_jacobian(point[None], np.array([segment]), SHAPE, state)[0]
        np.testing.assert_allclose(dense, expected, atol=1e-9)
    np.testing.assert_allclose(axes[8:], joint_axes(SHAPE, state)[0][8:], atol=1e-9)


def _scene(gesture: str, noisy: bool) -> tuple[np.ndarray, np.ndarray]:
    truth = HandState(PALM_TO_CAMERA, np.array([0.0, 40.0, 450.0]), pose_angles(HandPose(GESTURES[gesture], np.zeros(2))))
    joints = posed_joints(SHAPE, truth)
    depth = render_depth(joints, VGA, radii_mm=SHAPE.joint_radii, forearm_length_mm=120.0,
                         planes=(Plane((0.0, 0.0, 1.0), 900.0),))
    if noisy:
        depth = apply_sensor(depth, VGA.fx, np.random.default_rng(3), SensorSettings(kind="structured_light"))
    return joints, depth


def _start(gesture: str, flex_deg: float, shift_mm: float) -> np.ndarray:
    fingers = np.array(GESTURES[gesture], float)
    fingers[1:, 0] += flex_deg
    start = HandState(PALM_TO_CAMERA, np.array([shift_mm, 40.0, 450.0]), pose_angles(HandPose(clip_to_limits(fingers),
                                                                                             np.zeros(2))))
    return posed_joints(SHAPE, start)


@pytest.mark.parametrize("noisy", [False, True])
def test_the_fit_recovers_a_rendered_pose_from_a_perturbed_start(noisy):
    fitter = Fitter(shape=SHAPE)
    for gesture in ("claw", "point", "fist"):
        joints, depth = _scene(gesture, noisy)
        start = _start(gesture, 10.0, 5.0)  # fingers bent 10° more, the palm 5 mm aside
        result = fitter.fit(depth, VGA, joints[9], 250.0, start)
        before = np.linalg.norm(start - joints, axis=1).mean()
        after = np.linalg.norm(result.joints_mm - joints, axis=1).mean()
        assert after < 4.5 and after < 0.7 * before, (gesture, before, after)
        assert not result.shape.left and result.fit_error_mm < 3.0 and result.confidence > 0.5


def test_the_finger_search_brings_a_far_start_within_a_few_mm():
    # The harder start: fingers bent 30° off and the palm 15 mm off. Plain LM stops in the
    # nearest basin; the finger search (fit/search.py) tries each finger's preset bends.
    fitter = Fitter(shape=SHAPE)
    no_search = Fitter(FitSettings(search_iterations=0), shape=SHAPE)
    gestures = ("ok", "point", "fist", "open", "claw")
    errors, plain = [], []
    for gesture in gestures:
        joints, depth = _scene(gesture, noisy=True)
        start = _start(gesture, 30.0, 15.0)
        before = np.linalg.norm(start - joints, axis=1).mean()
        after = np.linalg.norm(fitter.fit(depth, VGA, joints[9], 250.0, start).joints_mm - joints, axis=1).mean()
        assert after < 9.5 and after < 0.5 * before, (gesture, before, after)
        errors.append(after)
        plain.append(np.linalg.norm(no_search.fit(depth, VGA, joints[9], 250.0, start).joints_mm - joints,
                                    axis=1).mean())
    assert np.mean(errors) < 6.5 and np.mean(errors) < 0.8 * np.mean(plain), (errors, plain)


def test_the_search_keeps_the_fit_unless_a_bend_explains_the_data_clearly_better():
    from handpose_live.fit.keypoints import NETWORK_WEIGHTS
    from handpose_live.fit.model import palm_cones
    from handpose_live.fit.points import hand_points
    from handpose_live.fit.search import KEEP_BELOW, fit_score, search
    from handpose_live.fit.solver import damping, problem, solve

    def score_of(state):
        _, _, dist, sil = solve(fit_problem, state, 0, 0)
        return fit_score(dist, sil)

    joints, depth = _scene("point", noisy=False)
    obs = hand_points(depth, VGA, joints[9], 250.0, joints, 256)
    fit_problem = problem(SHAPE, palm_cones(SHAPE), obs.points, joints, NETWORK_WEIGHTS, obs.distance, obs.origin,
                          np.array([VGA.fx, VGA.fy, VGA.cx, VGA.cy]), (1.0, 0.1, 1.0, 2e4, 0.2, 0.0),
                          damping(*FitSettings().damping))
    truth = HandState(PALM_TO_CAMERA, np.array([0.0, 40.0, 450.0]), pose_angles(HandPose(GESTURES["point"], np.zeros(2))))
    # Fitted from the truth, no preset bend does clearly better: the state comes back unchanged.
    fitted = solve(fit_problem, truth, 0, 10)[0]
    state, score = search(fit_problem, fitted, score_of(fitted), np.arange(5), 3)
    np.testing.assert_array_equal(state.angles, fitted.angles)
    assert score == score_of(fitted)
    # The index curled into the palm while the data shows it pointing: a straight preset wins.
    bent = truth.angles.copy()
    bent[2 + 4 + np.array([0, 2, 3])] = np.radians([85.0, 95.0, 60.0])
    start = HandState(truth.rotation, truth.translation, bent)
    before = score_of(start)
    state, score = search(fit_problem, start, before, np.array([1]), 3)
    assert score < KEEP_BELOW * before
    index = posed_joints(SHAPE, state)[[6, 7, 8]]
    assert np.linalg.norm(index - joints[[6, 7, 8]], axis=1).mean() < 6.0


def test_of_several_crops_the_fit_keeps_the_one_on_the_hand():
    fitter = Fitter(shape=SHAPE)
    joints, depth = _scene("open", noisy=True)
    aside = joints + [0.0, 90.0, 0.0]  # a crop and joints down the forearm, as a wrong refinement gives
    chosen, result = fitter.fit_best(depth, VGA, 250.0, [(aside[9], aside), (joints[9], joints)])
    assert chosen == 1 and np.linalg.norm(result.joints_mm - joints, axis=1).mean() < 5.0
    # The first crop is the pipeline's own: a second that is about as good does not replace it.
    near = joints + [2.0, 0.0, 0.0]
    assert fitter.fit_best(depth, VGA, 250.0, [(joints[9], joints), (near[9], near)])[0] == 0


def test_a_tracked_hand_poorly_fitted_has_one_finger_searched_per_frame_in_turn():
    from dataclasses import replace

    from handpose_live.pipeline.fit import ALL_FINGERS, SEARCH_ABOVE_MM, FitStage

    stage = FitStage(FitSettings())
    seen = []
    real_fit = stage.fitter.fit_best
    stage.fitter.fit_best = lambda *args: seen.append(args[5]) or real_fit(*args)
    joints, depth = _scene("open", noisy=False)
    for tracked in (False, True, True):  # a good track: no search after the first frame
        stage.run(depth, VGA, 250.0, [(joints[9], joints)], tracked)
    assert seen == [ALL_FINGERS, (), ()]
    seen.clear()
    for tracked in (True, True, True, False):  # a track that explains the data poorly
        stage._previous = replace(stage._previous, fit_error_mm=SEARCH_ABOVE_MM + 1.0)
        stage.run(depth, VGA, 250.0, [(joints[9], joints)], tracked)
    assert [len(f) for f in seen[:3]] == [1, 1, 1] and len({f[0] for f in seen[:3]}) == 3
    assert seen[3] == ALL_FINGERS  # a new hand: every finger


def test_bad_input_gives_a_low_confidence_result_never_an_exception():
    fitter = Fitter()
    joints, depth = _scene("open", noisy=False)
    centre = joints[9]
    empty = fitter.fit(np.zeros_like(depth), VGA, centre, 250.0, joints)
    assert empty.confidence == 0.0 and empty.points == 0 and np.all(np.isfinite(empty.joints_mm))
    nan_depth = np.full_like(depth, np.nan)
    assert fitter.fit(nan_depth, VGA, centre, 250.0, joints).confidence == 0.0
    wall = np.full_like(depth, 450.0)  # a crop full of background: a flat wall where the hand should be
    assert fitter.fit(wall, VGA, centre, 250.0, joints).confidence < 0.3
    nan_joints = joints.copy()
    nan_joints[[4, 8]] = np.nan
    result = fitter.fit(depth, VGA, centre, 250.0, nan_joints)
    assert np.all(np.isfinite(result.joints_mm)) and result.confidence > 0.3
    assert confidence(float("nan"), 1.0) == 0.0 and confidence(0.0, 0.0) == 1.0
    assert FitSettings().iterations == 6 and FitSettings().rigid_iterations == 1


def test_collision_pushes_crossed_neighbouring_fingers_apart():
    from handpose_live.fit.collision import PAIRS, add_collision
    from handpose_live.fit.model import FINGER_CONES

    def energy_and_system(angles):
        joints, axes, pivots = posed_kinematics(*shape_arrays(SHAPE), PALM_TO_CAMERA, np.array([0.0, 40.0, 450.0]),
                                                angles)
        cones = np.array([[*joints[a], SHAPE.joint_radii[a], *joints[b], SHAPE.joint_radii[b]]
                          for a, b, _ in FINGER_CONES])
        h, g = np.zeros((28, 28)), np.zeros(28)
        e = add_collision(h, g, cones, FINGER_CONES[:, 2].copy(), PAIRS, axes, pivots, np.array([0.0, 40.0, 450.0]), 1.0)
        return e, h, g

    open_hand = pose_angles(HandPose(GESTURES["open"], np.zeros(2)))
    assert energy_and_system(open_hand)[0] < 0.1  # fingers apart: (next to) nothing to push
    crossed = open_hand.copy()
    crossed[2 + 4 * 1 + 1] = np.radians(-35.0)  # the index swung (adducted) over onto the middle finger
    energy, h, g = energy_and_system(crossed)
    assert energy > 0.0 and np.abs(g[:8]).max() == 0.0  # only finger angles answer, not the whole hand
    step = np.linalg.solve(h + np.eye(28) * 1e-6, g)
    assert energy_and_system(crossed + 0.5 * step[6:])[0] < energy  # a step apart lowers the penetration


def test_cached_kernels_are_dropped_when_a_fit_or_hand_source_changes(tmp_path, monkeypatch):
    import importlib
    import shutil
    from pathlib import Path

    import handpose_live

    # A copy of the two packages, so that the real cache is left alone.
    package = Path(handpose_live.__file__).parent
    copy = tmp_path / "handpose_live"
    for sub in ("hand", "fit"):
        shutil.copytree(package / sub, copy / sub, ignore=shutil.ignore_patterns("__pycache__"))
    jit = importlib.import_module("handpose_live.fit.jit")
    monkeypatch.setattr(jit, "__file__", str(copy / "fit" / "jit.py"))
    cache = copy / "fit" / "__pycache__"
    cache.mkdir()
    jit._drop_stale_kernels()
    kernel = cache / "solver.lm_fit-1.py311.1.nbc"
    kernel.write_bytes(b"compiled")
    jit._drop_stale_kernels()
    assert kernel.exists()  # nothing changed: the cache stays
    (copy / "fit" / "data.py").write_text((copy / "fit" / "data.py").read_text() + "\n# changed\n")
    jit._drop_stale_kernels()
    assert not kernel.exists()  # data.py changed: lm_fit, which embeds its kernels, is compiled anew


def test_a_fixed_hand_is_the_only_side_fitted_and_auto_says_how_sure_it_is():
    joints, depth = _scene("open", noisy=False)  # a right hand
    auto = Fitter(shape=SHAPE).fit(depth, VGA, joints[9], 250.0, joints)
    assert not auto.shape.left and 0.5 <= auto.handedness_score <= 1.0
    left = Fitter(FitSettings(hand="left"), shape=SHAPE).fit(depth, VGA, joints[9], 250.0, joints)
    assert left.shape.left and left.handedness_score == 1.0
    with pytest.raises(ValueError, match="hand must be one of"):
        FitSettings(hand="both")


def test_the_fit_line_says_the_side_and_how_sure():
    from dataclasses import replace

    from handpose_live.types import HandPoseResult
    from handpose_live.ui.overlay import fit_line

    joints, depth = _scene("open", noisy=False)
    r = HandPoseResult(True, joints, VGA.project(joints)[:, :2], joints[9], None, {}, "CPU", shape=SHAPE,
                       confidence=0.9, fit_error_mm=1.0, silhouette_error_px=0.2, handedness="right",
                       handedness_score=0.83)
    assert "right hand (83% sure) · confidence 0.90" in fit_line(True, r, 3.0)
    assert "right hand · confidence" in fit_line(True, replace(r, handedness_score=None), 3.0)


def test_the_fit_sees_the_hand_and_not_the_wall_close_behind_it(monkeypatch):
    from conftest import open_hand_facing_camera

    from handpose_live.fit import points
    from handpose_live.fit.points import hand_points, near_bones
    from handpose_live.synthetic.render import Plane, render_depth

    joints, fdir = open_hand_facing_camera(450.0)
    z = float(np.median(joints[:, 2]))
    depth = render_depth(joints, VGA, forearm_direction=fdir, forearm_length_mm=120.0,
                         planes=(Plane((0.0, 0.0, 1.0), z + 90.0),))  # inside the 250 mm cube
    obs = hand_points(depth, VGA, joints[9], 250.0, joints, 100000)
    assert obs.points[:, 2].max() < z + 60.0 and near_bones(obs.points, joints, 30.0).all()
    # A thumb the start puts 50 mm off is still seen: it joins the palm as one surface.
    start = joints.copy()
    start[2:5] += np.array([50.0, 0.0, 0.0])
    tip_bone = np.repeat(joints[3:4], 21, axis=0)  # every bone collapsed onto the thumb's IP, but IP → tip
    tip_bone[4] = joints[4]
    seen = near_bones(hand_points(depth, VGA, joints[9], 250.0, start, 100000).points, tip_bone, 12.0).sum()
    assert seen >= 0.8 * near_bones(obs.points, tip_bone, 12.0).sum() > 0
    monkeypatch.setattr(points, "NEAR_BONES_MM", None)  # the whole cube: the wall's points too
    assert hand_points(depth, VGA, joints[9], 250.0, joints, 100000).points[:, 2].max() > z + 85.0
