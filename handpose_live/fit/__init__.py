"""The hand model fitted to the observed depth (SPEC §8): the network proposes, the fit decides.

`model.py` builds the fitter's round cones from the hand, `points.py` takes the hand's points and
silhouette from the depth, each energy term lives in its own module (`data.py`, `silhouette.py`,
`keypoints.py`, `collision.py`, `limits.py`) and adds its rows to one Levenberg–Marquardt solve
(`solver.py`, compiled with numba), `ik.py` is that solve with the keypoint term alone, and
`fitter.py` runs hypotheses and scores them.
"""
