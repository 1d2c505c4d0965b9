"""Name cues confirmed by geometry (core/rig/part_cues.py) on the real ICT head: a name brings a part in only where
such a part belongs. Landmarks detected once on the head (its parts as tools/synthetic_heads.py splits them)."""

import numpy as np
import pytest
import synthetic_heads
from primitives import cube_mesh

from facemotion.core.detect.mesh_landmarks import detect_mesh_landmarks
from facemotion.core.rig.part_cues import cued_roles
from facemotion.core.rig.parts import (
    ROLE_AUTO,
    ROLE_EYE,
    ROLE_IGNORE,
    ROLE_NAMES,
    ROLE_TEETH_LOWER,
    ROLE_TEETH_UPPER,
    ROLE_TONGUE,
)


@pytest.fixture(scope="module")
def head():
    parts = synthetic_heads.helper_teeth(synthetic_heads.ict_parts(tongue=True))
    parts.append(
        synthetic_heads.MeshPart(
            "far_box",
            *cube_mesh(1.0, (61.0, 1.0, 1.0)),
            "ignore",
        )
    )
    vertices, triangles, index = synthetic_heads.joined(parts)
    landmarks = detect_mesh_landmarks(vertices, triangles).points
    return parts, vertices, triangles, index, landmarks


def _cued(head, cue_of):
    """Roles from cues ``{part name: role name}`` (no artist roles)."""
    parts, vertices, triangles, index, landmarks = head
    cues = np.array([ROLE_NAMES[cue_of.get(p.name, "auto")] for p in parts], dtype=np.int8)[index]
    roles = cued_roles(vertices, triangles, landmarks, None, cues)
    return {p.name: roles[index == k] for k, p in enumerate(parts)}


def test_confirmed_cues_name_the_parts(head):
    roles = _cued(
        head, {"upper_teeth": "upper_teeth", "lower_teeth": "lower_teeth", "tongue": "tongue", "eyeball_left": "eye"}
    )
    assert (roles["upper_teeth"] == ROLE_TEETH_UPPER).all() and (roles["lower_teeth"] == ROLE_TEETH_LOWER).all()
    assert (roles["tongue"] == ROLE_TONGUE).all() and (roles["eyeball_left"] == ROLE_EYE).all()
    assert (roles["head_skin"] == ROLE_AUTO).all()  # no cue: the geometry decides later


def test_one_teeth_object_is_split_into_rows_and_keeps_its_tongue(head):
    roles = _cued(head, {"upper_teeth": "teeth", "lower_teeth": "teeth", "tongue": "teeth"})
    assert (roles["upper_teeth"] == ROLE_TEETH_UPPER).all() and (roles["lower_teeth"] == ROLE_TEETH_LOWER).all()
    assert (roles["tongue"] == ROLE_TONGUE).all()


def test_a_name_does_not_bring_in_a_part_that_is_not_where_it_belongs(head):
    roles = _cued(head, {"eyelashes": "teeth", "gums_and_tongue": "eye", "far_box": "eye", "head_skin": "ignore"})
    assert (roles["eyelashes"] == ROLE_AUTO).all()  # lashes are not in the mouth
    assert (roles["gums_and_tongue"] == ROLE_AUTO).all()  # the mouth is not at an eye
    assert (roles["far_box"] == ROLE_AUTO).all()  # far away: the geometry ignores it
    assert (roles["head_skin"] == ROLE_AUTO).all()  # "HeadHair": the face itself is on it
    roles = _cued(head, {"eyelashes": "ignore"})
    assert (roles["eyelashes"] == ROLE_IGNORE).all()  # near the face but not the face: taken
