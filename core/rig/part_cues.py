# SPDX-License-Identifier: GPL-3.0-or-later
"""Name cues (:mod:`.part_names`) confirmed by geometry: the roles a character's names give, where its shapes agree.

A name is a strong prior, the geometry has the last word on where the part is and on what the name leaves open.
Per loose part (edge-connected component) and per name cue inside it:

* geometry alone (:func:`facemotion.core.rig.parts.classify_parts` with the artist's forced roles only) finds it far
  from the face (``ignored``): it stays ignored - a "Teeth" object of another character, a spare eye on a shelf;
* an eye cue holds only where the part lies near an iris landmark (its centre within :data:`EYE_REACH` inter-ocular
  distances: an eyeball's centre sits about one radius, ~0.13 IOD, behind its iris), else the part is left to the
  geometry;
* a teeth or tongue cue holds only where the part lies in the mouth: its centre within :data:`MOUTH_REACH` mouth
  widths of the inner lips' middle (molars and the tongue's root sit about one width behind the lips) and below
  the nose's base (landmark 2; the lower lids are about as far from the mouth as the molars);
* a plain teeth cue (one object for both rows, e.g. ``CC_Base_Teeth``, ``Wolf3D_Teeth``) takes the geometry's
  finer answer where it has one: a tongue inside it (solid from above) stays a tongue, a tooth or row the geometry
  put above or below the occlusal line keeps that side; a loose part the geometry left as skin (a row modelled as
  one piece, whose incisors reach past the lips' line) goes whole to the side of the inner lips' mid-line its
  centre is on, since split per vertex a rigid row would tear;
* skin and ignore cues (lashes, lid shells, scalp hair) hold where the part is not far from the face; an ignore
  cue never holds on the face's own surface (a part passing within :data:`FACE_SURFACE_REACH` of the nose tip, chin
  and forehead landmarks: a "HeadHair" mesh that is the head itself).

The artist's own choice (a forced role) always wins over a cue. The same rules apply whether a part comes alone or
on a whole body, since they depend only on the part and the landmarks.
"""

import numpy as np
from scipy.spatial import cKDTree

from ..detect.mediapipe_topology import LEFT_IRIS_CENTER, RIGHT_IRIS_CENTER
from ..errors import InputError
from ..geometry import connected_components
from .parts import (
    ROLE_AUTO,
    ROLE_EYE,
    ROLE_IGNORE,
    ROLE_TEETH,
    ROLE_TEETH_LOWER,
    ROLE_TEETH_UPPER,
    ROLE_TONGUE,
    classify_parts,
    face_frame,
)

__all__ = ["EYE_REACH", "FACE_SURFACE_REACH", "MOUTH_REACH", "cued_roles"]

#: An eye-named part is an eye when its centre lies within this many inter-ocular distances of an iris landmark.
EYE_REACH = 0.35
#: A teeth- or tongue-named part is in the mouth when its centre lies within this many mouth widths of the inner
#: lips' middle (landmarks 13 / 14).
MOUTH_REACH = 1.5

#: A part passing within this many inter-ocular distances of the nose tip, chin and forehead landmarks carries the
#: face itself.
FACE_SURFACE_REACH = 0.1

_FACE_SURFACE = (1, 152, 10)  # nose tip, chin, forehead (MediaPipe)
_NOSE_BASE = 2
_MOUTH_ROLES = (ROLE_TEETH, ROLE_TEETH_UPPER, ROLE_TEETH_LOWER, ROLE_TONGUE)
_LIP_INNER_MID, _MOUTH_CORNERS = (13, 14), (61, 291)


def cued_roles(vertices, triangles, landmarks, roles, cues):
    """Forced roles for :func:`facemotion.core.rig.parts.classify_parts`: the artist's ``roles``, plus the name
    ``cues`` the geometry confirms (module docstring).

    Args:
        vertices: ``(N, 3) float64`` positions.
        triangles: ``(M, 3) int64``.
        landmarks: ``(478, 3) float64`` MediaPipe landmarks on the mesh (same frame).
        roles: None or ``(N,) int8`` the artist's forced roles (``ROLE_AUTO`` = -1 where not forced).
        cues: None or ``(N,) int8`` the role each vertex's name gives (:func:`.part_names.name_role`; -1: no cue).

    Returns:
        ``(N,) int8`` roles (``ROLE_AUTO`` where neither the artist nor a confirmed cue decides), or ``roles``
        unchanged when there are no cues.

    Raises:
        InputError: ``cues`` of the wrong shape.
    """
    if cues is None or not np.any(np.asarray(cues) >= 0):
        return roles
    v = np.asarray(vertices, dtype=np.float64)
    cues = np.asarray(cues)
    if cues.shape != (len(v),):
        raise InputError(f"cues must have one entry per vertex ({len(v)}), got shape {cues.shape}")
    forced = np.full(len(v), ROLE_AUTO, dtype=np.int8) if roles is None else np.asarray(roles, dtype=np.int8)
    geometry = classify_parts(v, triangles, landmarks, roles=forced).roles
    lm = np.asarray(landmarks, dtype=np.float64)
    _, axes, iod = face_frame(lm)
    up = axes[1]
    lip_height = float(lm[list(_LIP_INNER_MID)].mean(axis=0) @ up)
    nose_base = float(lm[_NOSE_BASE] @ up)
    irises = lm[[LEFT_IRIS_CENTER, RIGHT_IRIS_CENTER]]
    mouth = lm[list(_LIP_INNER_MID)].mean(axis=0)
    width = float(np.linalg.norm(lm[_MOUTH_CORNERS[0]] - lm[_MOUTH_CORNERS[1]]))
    out = forced.copy()
    labels = connected_components(len(v), np.asarray(triangles, dtype=np.int64))
    open_ = (forced < 0) & (cues >= 0)
    for part in np.unique(labels[open_]):
        in_part = open_ & (labels == part)
        for cue in np.unique(cues[in_part]):
            idx = np.flatnonzero(in_part & (cues == cue))
            found = geometry[idx]
            if (found == ROLE_IGNORE).all():
                continue  # far from the face: the name does not bring it in
            centre = 0.5 * (v[idx].min(axis=0) + v[idx].max(axis=0))
            if cue == ROLE_EYE and np.linalg.norm(irises - centre, axis=1).min() > EYE_REACH * iod:
                continue
            if cue in _MOUTH_ROLES and (
                np.linalg.norm(centre - mouth) > MOUTH_REACH * width or centre @ up > nose_base
            ):
                continue
            if (
                cue == ROLE_IGNORE
                and (cKDTree(v[idx]).query(lm[list(_FACE_SURFACE)])[0] < FACE_SURFACE_REACH * iod).all()
            ):
                continue
            if cue == ROLE_TEETH:
                # One object for both rows (and maybe the tongue): the geometry's per-part answer where it has one.
                finer = np.isin(found, (ROLE_TEETH_UPPER, ROLE_TEETH_LOWER, ROLE_TONGUE))
                side = ROLE_TEETH_UPPER if v[idx].mean(axis=0) @ up > lip_height else ROLE_TEETH_LOWER
                out[idx] = np.where(finer, found, side)
            else:
                out[idx] = cue
    return out
