# SPDX-License-Identifier: GPL-3.0-or-later
"""[Ma 2025]'s correlation-driven blend (core/emotion/blending.py) on hand-made vectors, the statistics, the file."""

import json

import build_blend_stats as bbs
import emotion_data as ed
import numpy as np
import pytest

from facemotion.core.emotion import blending as bl
from facemotion.core.emotion.presets import CATEGORIES
from facemotion.core.errors import AssetError, InputError

D = 52


def hand_stats(i1, i2, emin=None, emax=None):
    """Stats with index sets chosen by hand: label "a" -> i1, "b" -> i2."""
    return bl.BlendStats(
        labels=("a", "b"),
        correlation=np.zeros((2, D)),
        top={"a": np.array(i1), "b": np.array(i2)},
        emin=np.zeros(D) if emin is None else emin,
        emax=np.ones(D) if emax is None else emax,
        k=len(i1),
    )


def test_rule_on_each_index_set():
    e1 = np.full(D, 0.8)
    e2 = np.full(D, 0.2)
    stats = hand_stats([0, 1, 2], [2, 3, 4])  # I_E1 \ I_o = {0, 1}, I_E2 \ I_o = {3, 4}, I_o = {2}
    out = bl.blend_correlation(e1, e2, "a", "b", 0.7, stats=stats)
    assert out.dtype == np.float32 and out.shape == (D,)
    np.testing.assert_allclose(out[[0, 1]], 0.7 * 0.8 + 0.3 * 0.2, atol=1e-6)  # E1's own: w1·E1 + w2·E2
    np.testing.assert_allclose(out[[3, 4]], 0.3 * 0.8 + 0.7 * 0.2, atol=1e-6)  # E2's own: w2·E1 + w1·E2
    np.testing.assert_allclose(out[2], 0.5, atol=1e-6)  # overlap: average
    np.testing.assert_allclose(out[5:], 0.7 * 0.8 + 0.3 * 0.2, atol=1e-6)  # elsewhere: w1·E1 + w2·E2
    lin = bl.blend_linear(e1, e2, 0.7)
    np.testing.assert_allclose(lin, 0.62, atol=1e-6)
    assert not np.allclose(out, lin)


def test_asymmetry_and_equal_weights():
    rng = np.random.default_rng(3)
    e1, e2 = rng.uniform(0, 1, D), rng.uniform(0, 1, D)
    stats = hand_stats([0, 1, 2, 9], [2, 3, 4, 9])
    ab = bl.blend_correlation(e1, e2, "a", "b", 0.75, stats=stats)
    ba = bl.blend_correlation(e2, e1, "b", "a", 0.75, stats=stats)
    assert np.abs(ab - ba).max() > 0.05  # E1 is dominant: swapping changes the result
    # with w1 = w2 = 0.5 the rule reduces to the linear blend
    np.testing.assert_allclose(
        bl.blend_correlation(e1, e2, "a", "b", 0.5, stats=stats), bl.blend_linear(e1, e2, 0.5), atol=1e-6
    )
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
    assert out[2] == pytest.approx(0.5)  # 0.81 clipped to Emax
    assert out[1] == pytest.approx(0.1)  # E2's index: 0.1·0.9 + 0.9·0 = 0.09 -> Emin 0.1
    assert out[7] == pytest.approx(0.9)  # within Emax 2.0, and never above 1
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
    np.testing.assert_allclose(stats.correlation[:, 3:], 0.0)  # constant channels: r = 0, not NaN
    assert stats.top["x"].tolist() == [0, 1] and stats.top["y"].tolist() == [0, 1]  # |r| ranks
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
    rebuilt = bbs.build()  # the documented command's defaults; a few seconds
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
    for change, match in [
        ({"version": 99}, "version 99"),
        ({"format": "other"}, "not a blend statistics"),
        ({"k": 3}, "inconsistent"),
        ({"arkit_names": ["a"]}, "ARKit channel names"),
    ]:
        (tmp_path / "y.json").write_text(json.dumps({**data, **change}))
        with pytest.raises(InputError, match=match):
            bl.load_stats(tmp_path / "y.json")


def corr_stats(r_a, r_b, k=16, emin=None, emax=None):
    """Stats whose correlation rows are given: label "a" -> r_a, "b" -> r_b ({index: r}, 0 elsewhere)."""
    corr = np.zeros((2, D))
    for row, r in enumerate((r_a, r_b)):
        for i, v in r.items():
            corr[row, i] = v
    top = {name: np.argsort(-np.abs(corr[row]), kind="stable")[:k] for row, name in enumerate("ab")}
    return bl.BlendStats(
        labels=("a", "b"),
        correlation=corr,
        top=top,
        k=k,
        emin=np.zeros(D) if emin is None else emin,
        emax=np.ones(D) if emax is None else emax,
    )


def test_salient_sets_positive_mass_ties_and_cap():
    # r² mass of a: 0.81, 0.64, 0.64 (a tie: a left/right pair), 0.01; negative and zero r never enter
    stats = corr_stats({0: 0.9, 1: 0.8, 2: 0.8, 3: 0.1, 4: -0.95}, {5: -0.5})
    idx, r = stats.salient("a", 0.3)  # 0.81 / 2.10 = 0.39 >= 0.3: one index
    assert idx.tolist() == [0] and r.tolist() == [0.9]
    assert stats.salient("a", 0.5)[0].tolist() == [0, 1, 2]  # 1 needed; 2 joins as its tie
    assert stats.salient("a", 1.0)[0].tolist() == [0, 1, 2, 3]
    assert 4 not in stats.salient("a", 1.0)[0]  # falls with the emotion: not boosted
    assert stats.salient("b")[0].size == 0  # nothing rises with b
    capped = corr_stats({i: 1.0 - 0.05 * i for i in range(10)}, {}, k=4)
    assert capped.salient("a", 1.0)[0].tolist() == [0, 1, 2, 3]  # at most k (r steps of 0.05 > the tie)
    with pytest.raises(InputError, match="salient mass"):
        stats.salient("a", 0.0)
    with pytest.raises(InputError, match="no blend statistics for emotion 'c'"):
        stats.salient("c")


def test_weighted_rule_on_each_set_and_dominance():
    stats = corr_stats({0: 0.9, 1: 0.9, 2: 0.6}, {2: 0.3, 3: 0.9, 4: 0.9})  # S1 \ S2 = {0, 1}, S2 \ S1 = {3, 4}
    e1, e2 = np.full(D, 0.5), np.full(D, 0.3)
    out = bl.blend_correlation_weighted(e1, e2, "a", "b", 0.6, stats=stats, mass=1.0)
    g1, g2 = 1.0, 0.4 / 0.6
    np.testing.assert_allclose(out[[0, 1]], g1 * 0.5 + 0.4 * 0.3, atol=1e-6)  # E1's own: E1 at full strength
    np.testing.assert_allclose(out[[3, 4]], 0.6 * 0.5 + g2 * 0.3, atol=1e-6)  # E2's own: E2 at w2 / w1
    u, v = 0.6 * 0.6, 0.4 * 0.3  # overlap: w·r-weighted average
    np.testing.assert_allclose(out[2], (u * g1 * 0.5 + v * g2 * 0.3) / (u + v), atol=1e-6)
    np.testing.assert_allclose(out[5:], 0.6 * 0.5 + 0.4 * 0.3, atol=1e-6)  # elsewhere: linear
    # disjoint prototypes lying wholly inside their sets: the paper's rule forgets which one is E1, this one does not
    p1, p2 = np.zeros(D), np.zeros(D)
    p1[[0, 1]], p2[[3, 4]] = 0.8, 0.8
    paper = corr_stats({0: 0.9, 1: 0.9}, {3: 0.9, 4: 0.9}, k=2)
    ab = bl.blend_correlation(p1, p2, "a", "b", 0.7, stats=paper)
    np.testing.assert_allclose(ab[[0, 1]], ab[[3, 4]])  # both at w1: order lost
    ab = bl.blend_correlation_weighted(p1, p2, "a", "b", 0.7, stats=paper)
    ba = bl.blend_correlation_weighted(p2, p1, "b", "a", 0.7, stats=paper)
    np.testing.assert_allclose(ab[[0, 1]], 0.8, atol=1e-6)  # the dominant one in full
    np.testing.assert_allclose(ab[[3, 4]], 0.8 * 0.3 / 0.7, atol=1e-6)  # the other in proportion
    np.testing.assert_allclose(ab[[0, 1]] / ab[[3, 4]], 0.7 / 0.3, rtol=1e-5)  # g1 : g2 = w1 : w2
    np.testing.assert_allclose(ba[[3, 4]], ab[[0, 1]], atol=1e-6)  # swapping swaps the roles
    assert np.abs(ab - ba).max() > 0.4
    # w1 = 1: E1 exactly; w1 = 0.5: both whole on their own sets
    rng = np.random.default_rng(1)
    r1, r2 = rng.uniform(0, 1, D), rng.uniform(0, 1, D)
    np.testing.assert_allclose(bl.blend_correlation_weighted(r1, r2, "a", "b", 1.0, stats=stats), r1, atol=1e-6)
    half = bl.blend_correlation_weighted(p1, p2, "a", "b", 0.5, stats=paper)
    np.testing.assert_allclose(half, np.maximum(p1, p2), atol=1e-6)
    assert bl.blend(p1, p2, "a", "b", 0.7, method="correlation_weighted", stats=paper).tolist() == ab.tolist()


def test_weighted_rule_clips_and_shipped_sets():
    emax = np.full(D, 0.6)
    stats = corr_stats({0: 0.9}, {1: 0.9}, emax=emax)
    out = bl.blend_correlation_weighted(np.full(D, 0.9), np.full(D, 0.9), "a", "b", 0.6, stats=stats)
    assert out.max() == pytest.approx(0.6) and out.dtype == np.float32  # 0.9 + 0.36 -> Emax
    out = bl.blend_correlation_weighted(
        np.ones(D), np.ones(D), "a", "b", 0.5, stats=corr_stats({0: 0.9}, {1: 0.9}, emax=np.full(D, 3.0))
    )
    assert out.max() == pytest.approx(1.0)
    with pytest.raises(InputError, match="sum to 1"):
        bl.blend_correlation_weighted(np.zeros(D), np.zeros(D), "a", "b", 0.6, 0.6, stats=stats)
    from facemotion.core.arkit import ARKIT_INDEX
    from facemotion.core.emotion.presets import PLUTCHIK_PRIMARIES, preset_weights

    shipped = bl.default_stats()
    for name in PLUTCHIK_PRIMARIES:
        idx, r = shipped.salient(name)
        assert 2 <= len(idx) <= shipped.k and np.all(r > 0), name
    assert {ARKIT_INDEX["mouthSmileLeft"], ARKIT_INDEX["mouthSmileRight"]} <= set(shipped.salient("joy")[0].tolist())
    assert ARKIT_INDEX["jawOpen"] in shipped.salient("surprise")[0]
    # awe (fear + surprise): the paper's rule gives each emotion's own top-k channels the larger weight whatever the
    # order, so the two orders differ only outside both index sets (surprise's AU25 lifts the upper lip a little,
    # mouthUpperUp, in neither set) and by little; the weighted rule differs much more
    f, s = preset_weights("fear"), preset_weights("surprise")
    order = np.abs(
        bl.blend_correlation(f, s, "fear", "surprise", 0.6) - bl.blend_correlation(s, f, "surprise", "fear", 0.6)
    )
    inside = np.union1d(shipped.indices("fear"), shipped.indices("surprise"))
    assert order[inside].max() < 1e-6 and order.max() < 0.05
    assert (
        np.abs(
            bl.blend_correlation_weighted(f, s, "fear", "surprise", 0.6)
            - bl.blend_correlation_weighted(s, f, "surprise", "fear", 0.6)
        ).max()
        > 0.1
    )


def test_weighted_rule_in_timeline_keys():
    from facemotion.core.animation.timeline import BLEND_METHODS, keys_from_json, keys_to_json, pose_track
    from facemotion.core.emotion.presets import preset_weights
    from facemotion.core.errors import TimelineError

    assert "correlation_weighted" in BLEND_METHODS
    keys = keys_from_json(
        {
            "keys": [
                {"time": 0, "emotion": "awe", "blend": "correlation_weighted"},
                {"time": 1, "emotion": "surprise+fear", "mix": 0.7, "blend": "correlation_weighted"},
            ]
        }
    )
    track = pose_track(keys, 1)
    f, s = preset_weights("fear"), preset_weights("surprise")
    np.testing.assert_allclose(track[0], bl.blend_correlation_weighted(f, s, "fear", "surprise", 0.6), atol=1e-7)
    np.testing.assert_allclose(track[1], bl.blend_correlation_weighted(s, f, "surprise", "fear", 0.7), atol=1e-7)
    assert keys_from_json(keys_to_json(keys)) == keys
    with pytest.raises(TimelineError, match="unknown blend 'dbex'"):
        keys_from_json({"keys": [{"time": 0, "emotion": "awe", "blend": "dbex"}]})
