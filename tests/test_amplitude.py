"""The amplitude step (core/rig/amplitude.py) on the real ICT head: identity on the template, unit-free, and on
non-rigidly warped heads each shape moves its feature by the template's share of the feature's size."""

import numpy as np
import pytest

from facemotion.core.arkit import ARKIT_INDEX
from facemotion.core.geometry import interpolate_on_surface
from facemotion.core.rig import amplitude
from facemotion.core.rig.autorig import rig_mesh, template_landmarks
from facemotion.core.rig.template import load_ict_template


@pytest.fixture(scope="module")
def ict():
    template = load_ict_template()
    triangle, barycentric, _ = template_landmarks(template)
    points = interpolate_on_surface(template.vertices, template.triangles, triangle, barycentric)
    return template, (triangle, barycentric), points


def _relative(deltas, vertices, template, emb, names):
    """Relative amplitude of ``names`` on a head whose skin landmarks are ``emb`` (template triangles): travel at
    the shape's landmarks over the region's feature size, as the step measures it."""
    sets = amplitude.measure_sets(amplitude.landmark_travel(template.deltas, template.triangles, emb))
    sizes = amplitude.feature_sizes(interpolate_on_surface(vertices, template.triangles, *emb))
    travel = amplitude.landmark_travel(deltas, template.triangles, emb)
    return amplitude.relative_amplitudes(travel, sizes, sets)[[ARKIT_INDEX[n] for n in names]]


def test_identity_on_the_template_and_free_of_units(ict):
    template, lm, points = ict
    same = amplitude.normalise_amplitudes(
        template.deltas,
        template.vertices,
        template.triangles,
        template,
        lm,
        template.vertices,
        vertex_mask=template.skin,
    )
    np.testing.assert_allclose(same.gains, 1.0, atol=1e-6)  # up to rounding in the closest-point queries
    np.testing.assert_allclose(same.deltas, template.deltas, rtol=1e-5, atol=1e-9)
    # The same head in centimetres, turned and moved (what a user's import might be): deltas scale with it.
    rotation = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])
    moved_vertices = template.vertices * 100.0 @ rotation.T + [3.0, -1.0, 40.0]
    moved = amplitude.normalise_amplitudes(
        (template.deltas * 100.0) @ rotation.T, moved_vertices, template.triangles, template, lm, moved_vertices
    )
    np.testing.assert_allclose(moved.gains, 1.0, atol=1e-6)
    assert "as on the template" in moved.summary()


def _lift_brows(points, eye_y, factor):
    """Stretch everything above the upper lids by ``factor`` (brows farther from the eyes, a higher forehead)."""
    p = np.array(points, dtype=np.float64)
    p[:, 1] += (factor - 1.0) * np.maximum(p[:, 1] - eye_y, 0.0)
    return p


def _long_jaw(points, nose_y, factor):
    """Stretch everything below the nose base by ``factor`` (a longer lower face)."""
    p = np.array(points, dtype=np.float64)
    p[:, 1] += (factor - 1.0) * np.minimum(p[:, 1] - nose_y, 0.0)
    return p


@pytest.mark.parametrize(
    "warp, names, expect_gain",
    [
        ("brows", ("browInnerUp", "browDownLeft", "browOuterUpRight"), 1.15),
        ("jaw", ("jawOpen",), 1.15),
    ],
)
def test_warped_head_reads_the_templates_relative_amount(ict, warp, names, expect_gain):
    template, lm, points = ict
    eye_y = points[[159, 386], 1].mean()
    nose_y = points[2, 1]
    warped = (
        _lift_brows(template.vertices, eye_y, 1.6) if warp == "brows" else _long_jaw(template.vertices, nose_y, 1.6)
    )
    # The transfer keeps the template's displacement lengths (one global similarity, here the identity).
    # The template fitted to a warped copy of itself is the warp (what registration converges to).
    result = amplitude.normalise_amplitudes(
        template.deltas, warped, template.triangles, template, lm, warped, vertex_mask=template.skin
    )
    exact = amplitude.normalise_amplitudes(
        template.deltas, warped, template.triangles, template, lm, warped, vertex_mask=template.skin, tolerance=0.0
    )
    k = [ARKIT_INDEX[n] for n in names]
    emb = amplitude.skin_embedding(template.vertices, template.triangles, points, template.skin)
    before = _relative(template.deltas, warped, template, emb, names)
    after = _relative(result.deltas, warped, template, emb, names)
    goal = _relative(template.deltas, template.vertices, template, emb, names)
    assert np.all(before < 0.75 * goal), (before, goal)  # the warp made them read weaker
    assert np.all(result.gains[k] > expect_gain) and np.all(exact.gains[k] < amplitude.GAIN_LIMITS[1])
    # Brought to the edge of the tolerated band (only the excess is corrected), or exactly onto the template's.
    np.testing.assert_allclose(after, goal / (1.0 + amplitude.TOLERANCE), rtol=0.02)
    np.testing.assert_allclose(_relative(exact.deltas, warped, template, emb, names), goal, rtol=0.02)
    if warp == "brows":  # independently of the step's landmark sets: the brow mid point over its height above the lid
        mid, lid = (np.array(i) for i in ((105, 334), (159, 386)))

        def raise_share(deltas, head):
            at = interpolate_on_surface(deltas[ARKIT_INDEX["browInnerUp"]], template.triangles, *emb)
            skin = interpolate_on_surface(head, template.triangles, *emb)
            return np.mean(at[mid, 1] / (skin[mid, 1] - skin[lid, 1]))

        assert raise_share(exact.deltas, warped) == pytest.approx(
            raise_share(template.deltas, template.vertices), rel=0.1
        )
    # Regions the warp did not touch keep their amplitude (the mouth for the brows, the lids for the jaw).
    other = "mouthSmileLeft" if warp == "brows" else "eyeBlinkLeft"
    assert result.gains[ARKIT_INDEX[other]] == pytest.approx(1.0, abs=0.03)


def test_gains_are_clamped_and_untouched_shapes_stay(ict):
    template, lm, points = ict
    # Deltas at a tenth of the template's: every measured shape wants x10, gets the upper limit.
    result = amplitude.normalise_amplitudes(
        template.deltas * 0.1,
        template.vertices,
        template.triangles,
        template,
        lm,
        template.vertices,
        vertex_mask=template.skin,
    )
    measured = [ARKIT_INDEX[n] for n in amplitude.SHAPE_REGIONS]
    np.testing.assert_allclose(result.gains[measured], amplitude.GAIN_LIMITS[1])
    assert result.gains[ARKIT_INDEX["mouthClose"]] == result.gains[ARKIT_INDEX["jawOpen"]]
    for name in ("eyeLookUpLeft", "cheekPuff", "cheekSquintLeft", "tongueOut"):
        assert result.gains[ARKIT_INDEX[name]] == 1.0


def test_rigged_canonical_face_moves_its_features_as_the_template_does(ict):
    """The whole chain on MediaPipe's canonical face (other proportions than ICT): after rig_mesh the brows,
    mouth corners, lids and jaw move their features by the template's relative amount (within TOLERANCE)."""
    from facemotion.core.io.assets import asset_path
    from facemotion.core.io.mesh_io import read_obj

    template, lm, points = ict
    mesh = read_obj(asset_path("mediapipe/face_geometry/canonical_face_model.obj"))
    rig = rig_mesh(mesh.vertices, mesh.triangles)
    again = amplitude.normalise_amplitudes(
        rig.deltas, mesh.vertices, mesh.triangles, template, lm, rig.fit.vertices, tolerance=0.0
    )
    # After the rig every measured shape moves its feature by the template's share within the tolerated band
    # (the gain still wanted, with no band, is at most 1 + TOLERANCE either way).
    measured = [ARKIT_INDEX[n] for n in amplitude.SHAPE_REGIONS if np.isfinite(again.target[ARKIT_INDEX[n]])]
    assert len(measured) >= 30
    band = 1.0 + amplitude.TOLERANCE + 0.02
    assert np.all((again.gains[measured] <= band) & (again.gains[measured] >= 1.0 / band)), again.summary()
