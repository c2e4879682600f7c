"""The one kinematic hand, used by the synthetic renderer and the model fit: shape (shape.py), pose
and its 28 DOF (pose.py), joint limits (limits.py), forward kinematics (kinematics.py), camera-frame
joints and surface points with their Jacobians (jacobians.py, numpy; kinematics_jit.py, numba)
and the rigid (palm) start of inverse kinematics (ik.py; the IK itself is the fit's solve, fit/ik.py)."""
