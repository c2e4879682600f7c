import numpy as np
import pytest
import torch

from handpose_live.model.jgr_p2o import JGRP2O, JGRP2OConfig, count_parameters, jgr_p2o_loss, normalized_adjacency


@pytest.mark.parametrize("stacks, expected", [(1, 0.72e6), (2, 1.37e6), (3, 2.02e6)])
def test_parameter_counts_match_the_paper(stacks, expected):
    n = count_parameters(JGRP2O(JGRP2OConfig(num_stacks=stacks)))
    assert abs(n - expected) / expected < 0.01


def test_outputs_per_stage_and_voting_weights():
    torch.manual_seed(0)
    model = JGRP2O().eval()
    out = model(torch.rand(3, 1, 96, 96) * 2 - 1)
    assert len(out) == 2
    for o in out:
        assert o.uvd.shape == (3, 21, 3)
        assert o.offsets.shape == (3, 21, 3, 24, 24)
        assert o.weights.shape == (3, 21, 576)
        torch.testing.assert_close(o.weights.sum(-1), torch.ones(3, 21))


def test_prediction_is_the_weighted_vote_of_pixel_positions_plus_offsets():
    # With the offsets equal to their targets, every pixel votes for the true joint exactly.
    torch.manual_seed(1)
    model = JGRP2O(JGRP2OConfig(num_stacks=1)).eval()
    depth = torch.rand(2, 1, 96, 96) * 2 - 1
    uvd = torch.rand(2, 21, 3) * 2 - 1
    target = model.offset_targets(depth, uvd)
    pz = model.pixel_depth(depth)
    w = torch.softmax(torch.randn(2, 21, 576), -1)
    off = target.view(2, 21, 3, 576)
    u = (w * (off[:, :, 0] + model.grid_u)).sum(-1)
    v = (w * (off[:, :, 1] + model.grid_v)).sum(-1)
    z = (w * (off[:, :, 2] + pz[:, None])).sum(-1)
    torch.testing.assert_close(torch.stack([u, v, z], -1), uvd)
    # Pixel grid: cell centres in [-1, 1], u varying fastest.
    assert model.grid_u[0] == pytest.approx(-1 + 1 / 24) and model.grid_u[1] == pytest.approx(-1 + 3 / 24)
    assert model.grid_v[24] == pytest.approx(-1 + 3 / 24)


def test_normalized_adjacency():
    a = normalized_adjacency().numpy()
    assert a.shape == (21, 21) and np.allclose(a, a.T)
    # Â = D^-1/2 (A + I) D^-1/2: the wrist has 5 bones, so its self weight is 1/6.
    assert a[0, 0] == pytest.approx(1 / 6)
    assert a[0, 1] == pytest.approx(1 / np.sqrt(6 * 3))
    assert a[4, 4] == pytest.approx(1 / 2)  # a fingertip: one bone


@pytest.mark.parametrize("cfg", [JGRP2OConfig(use_jgr=False, offset_loss=False), JGRP2OConfig(use_jgr=False),
                                 JGRP2OConfig(num_stacks=1)])
def test_ablation_variants_train(cfg):
    torch.manual_seed(2)
    model = JGRP2O(cfg)
    assert (model.stages[0].jgr is None) == (not cfg.use_jgr)
    depth = torch.rand(4, 1, 96, 96) * 2 - 1
    uvd = torch.rand(4, 21, 3) * 0.6 - 0.3
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    losses = []
    for _ in range(8):
        out = model(depth)
        loss, parts = jgr_p2o_loss(model, depth, uvd, out)
        assert ("offsets" in parts) == cfg.offset_loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="num_stacks"):
        JGRP2O(JGRP2OConfig(num_stacks=4))
    with pytest.raises(ValueError, match="input size"):
        JGRP2O(JGRP2OConfig(input_size=100))
