"""Compile the fit's numba kernels (and the synthetic camera's ray caster) once, into numba's cache
beside the code, so that the app's first frame does not wait ~20 s for them: `make` runs this
after installing (`python -m handpose_live.fit.warmup`)."""
from __future__ import annotations

import time

import numpy as np


def warm_up() -> float:
    """Fit the average open hand rendered in front of a camera once; the seconds it took."""
    from handpose_live.camera import Intrinsics
    from handpose_live.fit.fitter import Fitter
    from handpose_live.hand.jacobians import HandState, posed_joints
    from handpose_live.hand.pose import HandPose, pose_angles
    from handpose_live.hand.shape import HandShape
    from handpose_live.synthetic.render import render_depth

    t0 = time.perf_counter()
    camera = Intrinsics(476.0, 476.0, 320.0, 240.0, 640, 480)
    palm_to_camera = np.diag([1.0, -1.0, -1.0])  # palm facing the camera, fingers up
    state = HandState(palm_to_camera, np.array([0.0, 40.0, 450.0]), pose_angles(HandPose(np.zeros((5, 4)), np.zeros(2))))
    joints = posed_joints(HandShape.default(), state)
    depth = render_depth(joints, camera, forearm_length_mm=120.0)
    fitter = Fitter()
    first = fitter.fit(depth, camera, joints[9], 250.0, joints)
    fitter.fit(depth, camera, joints[9], 250.0, joints, previous=first)  # the tracking path too
    return time.perf_counter() - t0


if __name__ == "__main__":
    print("Compiling the hand-model fit for this machine (once; numba caches it)...", flush=True)
    print(f"done in {warm_up():.1f} s")
