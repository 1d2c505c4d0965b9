# SPDX-License-Identifier: GPL-3.0-or-later
"""[Ma 2025]'s correlation-driven blend (core/emotion/blending.py) on hand-made vectors, the statistics, the file."""
import json

import numpy as np
import pytest

import build_blend_stats as bbs
import emotion_data as ed
from facemotion.core.emotion import blending as bl
from facemotion.core.emotion.presets import CATEGORIES
from facemotion.core.errors import AssetError, InputError

D = 52


def hand_stats(i1, i2, emin=None, emax=None):
    """Stats with index sets chosen by hand: label "a" -> i1, "b" -> i2."""
    return bl.BlendStats(labels=("a", "b"), correlation=np.zeros((2, D)),
                         top={"a": np.array(i1), "b": np.array(i2)},
                         emin=np.zeros(D) if emin is None else emin, emax=np.ones(D) if emax is None else emax,
                         k=len(i1))


def test_rule_on_each_index_set():
    e1 = np.full(D, 0.8)
    e2 = np.full(D, 0.2)
    stats = hand_stats([0, 1, 2], [2, 3, 4])       # I_E1 \ I_o = {0, 1}, I_E2 \ I_o = {3, 4}, I_o = {2}
    out = bl.blend_correlation(e1, e2, "a", "b", 0.7, stats=stats)
    assert out.dtype == np.float32 and out.shape == (D,)
    np.testing.assert_allclose(out[[0, 1]], 0.7 * 0.8 + 0.3 * 0.2, atol=1e-6)   # E1's own: w1·E1 + w2·E2
    np.testing.assert_allclose(out[[3, 4]], 0.3 * 0.8 + 0.7 * 0.2, atol=1e-6)   # E2's own: w2·E1 + w1·E2
    np.testing.assert_allclose(out[2], 0.5, atol=1e-6)                          # overlap: average
    np.testing.assert_allclose(out[5:], 0.7 * 0.8 + 0.3 * 0.2, atol=1e-6)       # elsewhere: w1·E1 + w2·E2
    lin = bl.blend_linear(e1, e2, 0.7)
    np.testing.assert_allclose(lin, 0.62, atol=1e-6)
    assert not np.allclose(out, lin)


def test_asymmetry_and_equal_weights():
    rng = np.random.default_rng(3)
    e1, e2 = rng.uniform(0, 1, D), rng.uniform(0, 1, D)
    stats = hand_stats([0, 1, 2, 9], [2, 3, 4, 9])
    ab = bl.blend_correlation(e1, e2, "a", "b", 0.75, stats=stats)
    ba = bl.blend_correlation(e2, e1, "b", "a", 0.75, stats=stats)
    assert np.abs(ab - ba).max() > 0.05                     # E1 is dominant: swapping changes the result
    # with w1 = w2 = 0.5 the rule reduces to the linear blend
    np.testing.assert_allclose(bl.blend_correlation(e1, e2, "a", "b", 0.5, stats=stats),
                               bl.blend_linear(e1, e2, 0.5), atol=1e-6)
    # w1 = 1: E1 everywhere except E2's own indices (E2 there) and the overlap (average)
    one = bl.blend_correlation(e1, e2, "a", "b", 1.0, stats=stats)
    np.testing.assert_allclose(one[[3, 4]], e2[[3, 4]], atol=1e-6)
    np.testing.assert_allclose(one[[2, 9]], (e1[[2, 9]] + e2[[2, 9]]) / 2, atol=1e-6)
    np.testing.assert_allclose(one[[0, 1, 5]], e1[[0, 1, 5]], atol=1e-6)


def test_clipping_to_data_range_and_unit_interval():
    emin = np.full(D, 0.1)
    emax = np.full(D, 0.5)
    emax[7] = 2.0
    stats = hand_stats([0], [1], emin, emax)
    e1 = np.full(D, 0.9)
    e1[7] = 1.0
    e2 = np.zeros(D)
    out = bl.blend_correlation(e1, e2, "a", "b", 0.9, stats=stats)
    assert out[2] == pytest.approx(0.5)          # 0.81 clipped to Emax
    assert out[1] == pytest.approx(0.1)          # E2's index: 0.1·0.9 + 0.9·0 = 0.09 -> Emin 0.1
    assert out[7] == pytest.approx(0.9)          # within Emax 2.0, and never above 1
    big = bl.blend_correlation(np.ones(D), np.ones(D), "a", "b", 0.5, stats=hand_stats([0], [1], emax=np.full(D, 3.0)))
    assert big.max() == pytest.approx(1.0)


def test_weights_must_sum_to_one_and_bad_input():
    e = np.zeros(D)
    stats = hand_stats([0], [1])
    with pytest.raises(InputError, match="sum to 1"):
        bl.blend_correlation(e, e, "a", "b", 0.7, 0.4, stats=stats)
    with pytest.raises(InputError, match="sum to 1"):
        bl.blend_linear(e, e, 0.7, 0.2)
    assert bl.blend_linear(e, e, 0.7, 0.3).shape == (D,)
    with pytest.raises(InputError, match="outside"):
        bl.blend_linear(e, e, 1.2)
    with pytest.raises(InputError, match=r"shape \(52,\)"):
        bl.blend_linear(np.zeros(5), e, 0.5)
    with pytest.raises(InputError, match="non-finite"):
        bl.blend_linear(np.full(D, np.nan), e, 0.5)
    with pytest.raises(InputError, match="no blend statistics for emotion 'c'"):
        bl.blend_correlation(e, e, "a", "c", 0.5, stats=stats)
    with pytest.raises(InputError, match="unknown blend method"):
        bl.blend(e, e, "a", "b", 0.5, method="cubic", stats=stats)


def test_pearson_and_topk_on_a_hand_made_set():
    # Channel 0 is on exactly for label x, channel 1 for label y, channel 2 is noise, the rest constant.
    rng = np.random.default_rng(0)
    labels = np.array(["x", "y"] * 50)
    w = np.zeros((100, D))
    w[labels == "x", 0] = 1.0
    w[labels == "y", 1] = 0.5
    w[:, 2] = rng.uniform(0, 0.1, 100)
    stats = bl.compute_stats(w, labels, k=2)
    assert stats.labels == ("x", "y")
    np.testing.assert_allclose(stats.correlation[0, :2], [1.0, -1.0])
    np.testing.assert_allclose(stats.correlation[:, 3:], 0.0)            # constant channels: r = 0, not NaN
    assert stats.top["x"].tolist() == [0, 1] and stats.top["y"].tolist() == [0, 1]   # |r| ranks
    positive = bl.compute_stats(w, labels, k=1, rank="positive")
    assert positive.top["x"].tolist() == [0] and positive.top["y"].tolist() == [1]
    np.testing.assert_allclose(stats.emax[:2], [1.0, 0.5])
    for bad, match in [(dict(k=0), "k must"), (dict(space="flame"), "space"), (dict(rank="max"), "rank")]:
        with pytest.raises(InputError, match=match):
            bl.compute_stats(w, labels, **bad)
    with pytest.raises(InputError, match="two distinct labels"):
        bl.compute_stats(w, np.array(["x"] * 100))


def test_stats_build_is_deterministic_and_round_trips(tmp_path):
    a, b = bbs.build(n=160, seed=4), bbs.build(n=160, seed=4)
    assert a.to_dict() == b.to_dict()
    assert bbs.build(n=160, seed=5).to_dict() != a.to_dict()
    assert set(a.labels) == set(CATEGORIES) | {"trust", "anticipation"}
    assert all(len(t) == 16 for t in a.top.values())
    path = bl.save_stats(a, tmp_path / "s.json")
    loaded = bl.load_stats(path)
    assert loaded.to_dict() == a.to_dict()
    assert bl.save_stats(loaded, tmp_path / "t.json").read_bytes() == path.read_bytes()
    # the training set's faces are the very weights tools/emotion_data.py poses: check the first 8 (one per label)
    weights, labels = bbs.sample_labelled_weights(8, seed=4, extra_labels=())
    for i in range(8):
        face = ed.sample_face(ed._face_rng(4, i), CATEGORIES[i], ed.sample_identity(i))
        assert labels[i] == CATEGORIES[i]
        np.testing.assert_array_equal(weights[i], face.weights)


def test_pca_space(tmp_path):
    stats = bbs.build(n=160, seed=0, space="pca", components=16, k=6)
    assert stats.correlation.shape == (10, 16) and stats.pca_components.shape == (16, 52)
    np.testing.assert_allclose(stats.pca_components @ stats.pca_components.T, np.eye(16), atol=1e-9)
    loaded = bl.load_stats(bl.save_stats(stats, tmp_path / "p.json"))
    from facemotion.core.emotion.presets import preset_weights
    j, t = preset_weights("joy"), preset_weights("trust")
    out = bl.blend_correlation(j, t, "joy", "trust", 0.7, stats=loaded)
    assert out.shape == (52,) and 0.0 <= out.min() and out.max() <= 1.0
    # w1 = w2: PCA rule = linear on the coefficients, residual linear -> the linear blend (before clipping)
    half = bl.blend_correlation(j, t, "joy", "trust", 0.5, stats=loaded)
    np.testing.assert_allclose(half, np.clip(bl.blend_linear(j, t, 0.5), loaded.emin, loaded.emax), atol=1e-5)


def test_shipped_file_is_current_and_loads():
    shipped = bl.default_stats()
    assert shipped.k == bl.DEFAULT_K and shipped.space == "arkit"
    assert shipped.source["generator_version"] == ed.GENERATOR_VERSION and shipped.source["seed"] == 0
    assert bl.STATS_PATH.stat().st_size < 64_000
    rebuilt = bbs.build()          # the documented command's defaults; a few seconds
    assert rebuilt.to_dict() == bl.BlendStats.from_dict(json.loads(bl.STATS_PATH.read_text())).to_dict()
    # a recognisable top index: the smile channels for happy, jawOpen for surprise
    from facemotion.core.arkit import ARKIT_INDEX
    assert ARKIT_INDEX["mouthSmileLeft"] in shipped.indices("joy")
    assert ARKIT_INDEX["jawOpen"] in shipped.indices("surprise")


def test_bad_files(tmp_path):
    with pytest.raises(AssetError, match="missing"):
        bl.load_stats(tmp_path / "none.json")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(AssetError, match="cannot read"):
        bl.load_stats(tmp_path / "x.json")
    data = bl.default_stats().to_dict()
    for change, match in [({"version": 99}, "version 99"), ({"format": "other"}, "not a blend statistics"),
                          ({"k": 3}, "inconsistent"), ({"arkit_names": ["a"]}, "ARKit channel names")]:
        (tmp_path / "y.json").write_text(json.dumps({**data, **change}))
        with pytest.raises(InputError, match=match):
            bl.load_stats(tmp_path / "y.json")
