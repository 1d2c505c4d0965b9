# SPDX-License-Identifier: GPL-3.0-or-later
"""Part classification (core/rig/parts.py) on ICT-FaceKit's real head: eyeballs, teeth, tongue, far parts, roles.

The landmarks are the template's own (found once by the render-and-detect path and cached beside the template), so
these tests run no detector.
"""

import numpy as np
import pytest
from primitives import cube_mesh

from facemotion.core.arkit import ARKIT_INDEX
from facemotion.core.errors import InputError
from facemotion.core.geometry import interpolate_on_surface
from facemotion.core.rig.autorig import template_landmarks
from facemotion.core.rig.parts import (
    ROLE_AUTO,
    ROLE_EYE,
    ROLE_IGNORE,
    ROLE_SKIN,
    ROLE_TEETH,
    ROLE_TEETH_LOWER,
    ROLE_TEETH_UPPER,
    ROLE_TONGUE,
    classify_parts,
    fit_sphere,
)
from facemotion.core.rig.template import ICT_PARTS, load_ict_template


@pytest.fixture(scope="module")
def ict():
    """(template, landmarks (478, 3)) in the template's frame (metres)."""
    template = load_ict_template()
    triangle, barycentric, _ = template_landmarks(template)
    landmarks = interpolate_on_surface(template.vertices, template.triangles, triangle, barycentric)
    return template, landmarks


def _part(name):
    return slice(*ICT_PARTS[name])


def test_ict_parts_are_found(ict):
    template, landmarks = ict
    parts = classify_parts(template.vertices, template.triangles, landmarks)
    roles = parts.roles
    assert roles.dtype == np.int8 and ROLE_AUTO not in roles and ROLE_TEETH not in roles
    for side in ("left", "right"):
        assert (roles[_part(f"eyeball_{side}")] == ROLE_EYE).all()
        # Tear lines, occlusion shells and lashes lie on / around the eyeball but follow the lids: skin.
        for strip in ("lacrimal_fluid", "eye_occlusion", "eye_blend", "eyelashes"):
            assert (roles[_part(f"{strip}_{side}")] == ROLE_SKIN).all(), strip
        centre = fit_sphere(template.vertices[_part(f"eyeball_{side}")])[0]
        assert np.linalg.norm(parts.eye_centres[side] - centre) < 1e-9
        assert set(parts.part(f"eye_{side}").vertices) == set(range(*ICT_PARTS[f"eyeball_{side}"]))
    assert parts.eye_centres["left"][0] > 0 > parts.eye_centres["right"][0]  # +X is the subject's left
    # Upper / lower teeth: exactly the teeth that stay / move in ICT's own jawOpen.
    teeth = np.arange(*ICT_PARTS["teeth"])
    moves = np.linalg.norm(template.deltas[ARKIT_INDEX["jawOpen"]][teeth], axis=1) > 1e-4
    assert (roles[teeth[moves]] == ROLE_TEETH_LOWER).all() and (roles[teeth[~moves]] == ROLE_TEETH_UPPER).all()
    # ICT's gums and tongue are one mesh across both jaws: soft tissue, not torn into halves.
    assert (roles[_part("gums_and_tongue")] == ROLE_SKIN).all()
    assert (roles[: ICT_PARTS["head_and_neck"][1]] == ROLE_SKIN).all()
    assert "eye_left" in parts.summary() and "lower_teeth" in parts.summary()


def _ellipsoid(centre, radii, n=12):
    """A UV ellipsoid: ``(vertices, triangles)``."""
    theta, phi = np.meshgrid(np.linspace(0.1, np.pi - 0.1, n), np.linspace(0, 2 * np.pi, 2 * n, endpoint=False))
    v = np.stack([np.sin(theta) * np.cos(phi), np.cos(theta), np.sin(theta) * np.sin(phi)], -1).reshape(-1, 3)
    ring = lambda i, j: (j % (2 * n)) * n + i  # noqa: E731
    tris = [[ring(i, j), ring(i + 1, j), ring(i + 1, j + 1)] for i in range(n - 1) for j in range(2 * n)]
    tris += [[ring(i, j), ring(i + 1, j + 1), ring(i, j + 1)] for i in range(n - 1) for j in range(2 * n)]
    return centre + v * radii, np.array(tris)


def _joined(*meshes):
    vertices, triangles, offset = [], [], 0
    for v, t in meshes:
        vertices.append(v)
        triangles.append(t + offset)
        offset += len(v)
    return np.concatenate(vertices), np.concatenate(triangles)


def test_far_parts_tongue_forced_roles_and_no_eyes(ict):
    template, landmarks = ict
    skin_end = ICT_PARTS["head_and_neck"][1]
    head = (template.vertices[:skin_end], template.triangles[(template.triangles < skin_end).all(axis=1)])
    teeth = template.triangles[
        (template.triangles >= ICT_PARTS["teeth"][0]) & (template.triangles < ICT_PARTS["teeth"][1])
    ].reshape(-1, 3)
    teeth = (template.vertices[ICT_PARTS["teeth"][0] : ICT_PARTS["teeth"][1]], teeth - ICT_PARTS["teeth"][0])
    lower = template.vertices[slice(*ICT_PARTS["teeth"])][
        np.linalg.norm(template.deltas[ARKIT_INDEX["jawOpen"]][slice(*ICT_PARTS["teeth"])], axis=1) > 1e-4
    ]
    mouth_width = np.linalg.norm(landmarks[291] - landmarks[61])
    tongue = _ellipsoid(lower.mean(axis=0) + [0, -0.002, -0.025], np.array([0.45, 0.12, 0.6]) * mouth_width)
    cube = cube_mesh(0.5, landmarks.mean(axis=0) + [0.0, 0.0, 3.0])  # 3 m away, like Blender's default cube
    vertices, triangles = _joined(head, teeth, tongue, cube)
    n_head, n_teeth, n_tongue = len(head[0]), len(teeth[0]), len(tongue[0])
    parts = classify_parts(vertices, triangles, landmarks)
    assert not parts.eye_centres and parts.part("eye_left") is None  # no eyeballs: nothing breaks
    assert (parts.roles[:n_head] == ROLE_SKIN).all()
    tongue_rows = slice(n_head + n_teeth, n_head + n_teeth + n_tongue)
    assert (parts.roles[tongue_rows] == ROLE_TONGUE).all()
    assert (parts.roles[-8:] == ROLE_IGNORE).all()
    assert set(np.unique(parts.roles[n_head : n_head + n_teeth])) == {ROLE_TEETH_UPPER, ROLE_TEETH_LOWER}

    # Forced roles win per vertex; forced teeth are split into upper / lower; forced eyes get a centre.
    forced = np.full(len(vertices), ROLE_AUTO, dtype=np.int8)
    forced[-8:] = ROLE_SKIN
    forced[tongue_rows] = ROLE_TEETH
    forced[:10] = ROLE_IGNORE
    eye_patch = np.flatnonzero(np.linalg.norm(vertices[:n_head] - landmarks[473], axis=1) < 0.01)
    forced[eye_patch] = ROLE_EYE
    parts = classify_parts(vertices, triangles, landmarks, roles=forced)
    assert (parts.roles[-8:] == ROLE_SKIN).all() and (parts.roles[:10] == ROLE_IGNORE).all()
    assert set(np.unique(parts.roles[tongue_rows])) <= {ROLE_TEETH_UPPER, ROLE_TEETH_LOWER}
    assert (parts.roles[eye_patch] == ROLE_EYE).all() and list(parts.eye_centres) == ["left"]
    assert len(parts.part("eye_left").vertices) == len(eye_patch)
    # Remapped onto another numbering (as rig_mesh does for welded meshes).
    index = np.arange(len(vertices))[::-1]
    flipped = parts.remapped(index)
    assert (flipped.roles == parts.roles[::-1]).all()
    assert set(flipped.part("eye_left").vertices) == set(len(vertices) - 1 - eye_patch)
    with pytest.raises(InputError, match="roles"):
        classify_parts(vertices, triangles, landmarks, roles=np.full(len(vertices), 9, dtype=np.int8))
