# SPDX-License-Identifier: GPL-3.0-or-later
"""The core stays bounded and tear-free (issue 8): welding coincident vertices, non-finite input, and the cost limits
of the mesh landmark search. (Timeline fps/duration/frame limits are in tests/test_timeline.py.)"""

import numpy as np
import pytest

from facemotion.core.arkit import ARKIT_INDEX
from facemotion.core.detect.mesh_landmarks import detect_mesh_landmarks
from facemotion.core.errors import InputError
from facemotion.core.geometry import weld_vertices
from facemotion.core.io.assets import asset_path
from facemotion.core.io.mesh_io import read_obj
from facemotion.core.rig.autorig import rig_mesh

ICT_HEAD = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"


def _soup(vertices, triangles):
    """Every triangle with its own three vertices (an unwelded export)."""
    return vertices[triangles.ravel()].copy(), np.arange(3 * len(triangles)).reshape(-1, 3)


# --- welding --------------------------------------------------------------------------------------------------------


def test_weld_merges_a_soup_back_into_the_mesh():
    grid = np.array([[x, y, 0.1 * x * y] for y in range(4) for x in range(4)], np.float64)
    quads = [(y * 4 + x, y * 4 + x + 1, y * 4 + x + 5, y * 4 + x + 4) for y in range(3) for x in range(3)]
    tris = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])
    soup_v, soup_f = _soup(grid, tris)
    soup_v[5] += 1e-9  # float noise on a split seam is still the same point
    welded, faces, index = weld_vertices(soup_v, soup_f)
    assert len(welded) == len(grid) and len(faces) == len(tris)
    np.testing.assert_allclose(welded[index], soup_v, atol=1e-8)
    # each original vertex is exactly one welded vertex (the soup's copies of it all map there)
    assert len(set(zip(index.tolist(), tris.ravel().tolist()))) == len(grid)
    # a mesh without coincident vertices comes back unchanged
    same, same_f, identity = weld_vertices(grid, tris)
    assert np.array_equal(same, grid) and np.array_equal(same_f, tris) and np.array_equal(identity, np.arange(16))


def test_weld_drops_faces_it_collapses():
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1e-12, 0]], np.float64)  # vertex 3 == vertex 1
    f = np.array([[0, 1, 2], [0, 1, 3], [2, 2, 0], [1, 3, 2]])
    welded, faces, index = weld_vertices(v, f)
    assert len(welded) == 3 and index.tolist() == [0, 1, 2, 1]
    assert faces.tolist() == [[0, 1, 2]]  # (0,1,3) and (1,3,2) collapsed, (2,2,0) was already degenerate


@pytest.fixture(scope="module")
def ict_head():
    """ICT-FaceKit's neutral head with eyes and mouth parts, in centimetres (its file units)."""
    mesh = read_obj(asset_path(ICT_HEAD))
    return mesh.vertices, mesh.triangles


def test_triangle_soup_rigs_without_tearing(ict_head):
    """The ICT head stored as a triangle soup, with degenerate faces added: coincident vertices get one delta, and
    jawOpen still equals ICT's own. Unwelded, the same soup tore open by 4.0 cm (on a 34 cm head), because each
    copy of a vertex saw only its own triangle's normal and component."""
    from facemotion.core.rig.template import load_ict_template

    vertices, triangles = ict_head
    soup_v, soup_f = _soup(vertices, triangles)
    # degenerate faces: a repeated vertex, and a zero-area sliver along an existing edge
    a, b = soup_f[0, 0], soup_f[0, 1]
    soup_v = np.vstack([soup_v, 0.5 * (soup_v[a] + soup_v[b])])
    soup_f = np.vstack([soup_f, [[a, a, b], [a, b, len(soup_v) - 1]]])
    result = rig_mesh(soup_v, soup_f)
    assert result.deltas.shape == (52, len(soup_v), 3)

    _, _, index = weld_vertices(soup_v, soup_f)
    order = np.argsort(index, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(index[order])) + 1)
    pairs = np.array([(g[0], j) for g in groups for j in g[1:]])
    assert len(pairs) > 2 * len(vertices)  # the soup really had coincident vertices
    assert np.abs(result.deltas[:, pairs[:, 0]] - result.deltas[:, pairs[:, 1]]).max() == 0.0

    # jawOpen matches ICT's own deltas (soup vertex i is original vertex triangles.ravel()[i]) as the welded
    # head's rig does (tests/test_autorig.py: within 5 %)
    k = ARKIT_INDEX["jawOpen"]
    truth = load_ict_template().deltas[k][triangles.ravel()] * 100.0  # template metres -> file centimetres
    got = result.deltas[k][: triangles.size]
    mag = np.linalg.norm(truth, axis=1)
    active = mag > 0.1 * mag.max()
    assert np.linalg.norm(got[active] - truth[active], axis=1).mean() < 0.05 * mag[active].mean()


# --- non-finite input -----------------------------------------------------------------------------------------------


def test_non_finite_vertices_are_one_clear_error(ict_head):
    vertices, triangles = ict_head
    bad = vertices.copy()
    bad[[3, 10, 11]] = [np.nan, 0.0, 0.0], [np.inf, 1.0, 2.0], [0.0, -np.inf, np.nan]
    with pytest.raises(InputError, match=r"3 of \d+ vertices have non-finite \(NaN or infinite\) coordinates"):
        rig_mesh(bad, triangles)
    with pytest.raises(InputError, match=r"3 of \d+ vertices have non-finite"):
        detect_mesh_landmarks(bad, triangles)


# --- bounded landmark search ----------------------------------------------------------------------------------------


def test_render_cost_limit_counts_layers():
    from facemotion.core.detect.rasterize import OrthoCamera, render

    # one triangle covering the whole 32 x 32 view, stacked 5 deep: 5 (triangle, pixel) tests per pixel or a bit less
    tri = np.array([[-10.0, -10.0, 0.0], [30.0, -10.0, 0.0], [-10.0, 30.0, 0.0]])
    v = np.vstack([tri + [0.0, 0.0, 0.1 * k] for k in range(5)])
    f = np.arange(15).reshape(5, 3)
    camera = OrthoCamera(rotation=np.eye(3), centre=np.zeros(3), half_width=1.0, size=(32, 32))
    assert render(v, f, camera, max_layers=5).foreground.all()
    with pytest.raises(InputError, match=r"cover the view 5 times over \(limit 4"):
        render(v, f, camera, max_layers=4)
    with pytest.raises(InputError, match=r"cover the view 5 times over \(limit 4"):
        render(v, f, camera, max_layers=4, ssaa=2)  # the supersampled pass is refused before it runs too


def test_triangle_soup_is_refused_at_once_not_after_every_view():
    """The issue's 5,000-triangle non-manifold soup (83 s to say "no face" before): one clear message, first view."""
    rng = np.random.default_rng(0)
    calls = []
    with pytest.raises(InputError, match=r"cover the view \d+ times over \(limit 64.*triangle soup"):
        detect_mesh_landmarks(
            rng.uniform(-1, 1, (15000, 3)), np.arange(15000).reshape(-1, 3), progress=lambda f, m: calls.append(f)
        )
    assert len(calls) == 1  # refused on the first search view


def test_two_million_random_vertices_are_refused():
    """2 M random vertices in random triangles ran past 5 minutes; the cost limit refuses them on the first view."""
    rng = np.random.default_rng(1)
    v = rng.uniform(-1, 1, (2_000_000, 3)).astype(np.float32)
    calls = []
    with pytest.raises(InputError, match="times over \\(limit 64"):
        detect_mesh_landmarks(v, rng.integers(0, len(v), (len(v) // 3, 3)), progress=lambda f, m: calls.append(f))
    assert len(calls) == 1


def test_landmark_search_reports_each_view_and_can_be_cancelled():
    from facemotion.core.errors import CancelledError, Progress

    rng = np.random.default_rng(2)
    v = rng.uniform(-1, 1, (300, 3))  # 100 random triangles: well under the limit, no face in any view
    progress = Progress()
    seen = []

    def report(fraction, message):
        seen.append((fraction, message))
        if len(seen) == 3:
            progress.cancel()
        progress(fraction, message)

    with pytest.raises(CancelledError):
        detect_mesh_landmarks(v, np.arange(300).reshape(-1, 3), progress=report)
    assert len(seen) == 3 and all(m == "searching for the face" for _, m in seen)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
