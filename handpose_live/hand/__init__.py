"""The one kinematic hand, used by the synthetic renderer and the model fit: shape (shape.py), pose
and its 28 DOF (pose.py), joint limits (limits.py), forward kinematics (kinematics.py), camera-frame
joints and surface points with their Jacobians (jacobians.py, numpy; kinematics_jit.py, numba)
and inverse kinematics from 21 joints (ik.py)."""
