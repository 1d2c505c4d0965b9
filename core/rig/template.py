# SPDX-License-Identifier: GPL-3.0-or-later
"""Face templates: a neutral mesh with named ARKit expression deltas that the rig is transferred from.

The template is an interface (:class:`FaceTemplate`) so that other morphable models (FLAME, when a user supplies it)
can be plugged in; :func:`load_ict_template` builds it from ICT-FaceKit (Li et al. 2020, "Learning Formation of
Physically-Based Face Attributes", CVPR; MIT licence), converting its OBJs once into a compact ``.npz`` cache.
A built extension ships that ``.npz`` (``bundled_assets/ict-facekit/ict_template.npz``, written by
``tools/build_extension.py``) instead of the OBJs, so an installed add-on needs no ICT-FaceKit files.
"""

import functools
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..arkit import ARKIT_INDEX, ARKIT_NAMES, arkit_from_ict
from ..errors import AssetError
from ..io import assets
from ..io.mesh_io import read_obj

#: ICT-FaceKit metres per file unit (the OBJs are in centimetres: the head is ~25 units wide).
ICT_UNIT_M = 0.01

#: ICT-FaceKit geometry parts, ``[start, stop)`` vertex ranges (ICT-FaceKit README, "Face Model Topology").
ICT_PARTS = {
    "face": (0, 9409),
    "head_and_neck": (9409, 11248),
    "mouth_socket": (11248, 13294),
    "eye_socket_left": (13294, 13678),
    "eye_socket_right": (13678, 14062),
    "gums_and_tongue": (14062, 17039),
    "teeth": (17039, 21451),
    "eyeball_left": (21451, 23021),
    "eyeball_right": (23021, 24591),
    "lacrimal_fluid_left": (24591, 24795),
    "lacrimal_fluid_right": (24795, 24999),
    "eye_blend_left": (24999, 25023),
    "eye_blend_right": (25023, 25047),
    "eye_occlusion_left": (25047, 25199),
    "eye_occlusion_right": (25199, 25351),
    "eyelashes_left": (25351, 26035),
    "eyelashes_right": (26035, 26719),
}

#: Parts a renderer shows to the face detector and the registration fits to a user's mesh: the outer skin surface.
ICT_SKIN_PARTS = ("face", "head_and_neck")

ICT_CACHE_VERSION = 1

#: File name of the converted template in the user cache (:func:`facemotion.core.io.assets.cache_dir`).
ICT_TEMPLATE_FILE = "ict_template.npz"

#: Where a built extension ships the converted template, relative to
#: :func:`facemotion.core.io.assets.bundled_assets_dir`
#: (beside ICT-FaceKit's LICENSE).
BUNDLED_ICT_TEMPLATE = "ict-facekit/ict_template.npz"


@dataclass
class FaceTemplate:
    """A face template with ARKit-named expression deltas.

    Attributes:
        name: model name, e.g. ``"ICT-FaceKit"``.
        vertices: ``(V, 3) float64`` neutral positions in metres; the face looks along +Z with +Y up, +X is the
            subject's left.
        triangles: ``(T, 3) int64``.
        deltas: ``(52, V, 3) float32`` per-expression displacements in metres, in :data:`ARKIT_NAMES` order
            (all-zero rows for expressions the model lacks, see ``missing``).
        skin: ``(V,) bool`` the outer skin surface (used for fitting and shown to the detector).
        parts: part name -> ``[start, stop)`` vertex range (informational).
        identity_modes: ``(K, V, 3) float32`` identity PCA displacements in metres (may have ``K == 0``).
        missing: ARKit names with no data in this template (e.g. ``("tongueOut",)`` for ICT-FaceKit).
    """

    name: str
    vertices: np.ndarray
    triangles: np.ndarray
    deltas: np.ndarray
    skin: np.ndarray
    parts: dict = field(default_factory=dict)
    identity_modes: np.ndarray = None
    missing: tuple = ()

    @property
    def expression_names(self):
        return ARKIT_NAMES

    @functools.cached_property
    def deltas_by_vertex(self):
        """``(V, 52, 3) float32`` :attr:`deltas` vertex-major (computed once): gathering a vertex's 52 deltas is then
        one contiguous row, which the transfer does for every target vertex."""
        return np.ascontiguousarray(self.deltas.transpose(1, 0, 2))

    def with_identity(self, coefficients):
        """Return the neutral ``(V, 3) float64`` of an identity: ``vertices + sum_k c_k * identity_modes[k]``.

        Raises:
            ValueError: more coefficients than the template has identity modes.
        """
        c = np.asarray(coefficients, dtype=np.float64)
        if self.identity_modes is None or len(c) > len(self.identity_modes):
            raise ValueError(
                f"{self.name} has {0 if self.identity_modes is None else len(self.identity_modes)} "
                f"identity modes, {len(c)} coefficients given"
            )
        return self.vertices + np.tensordot(c, self.identity_modes[: len(c)], axes=1)


def _ict_sources():
    """The ICT-FaceKit files the template is built from, as (ict shape name, asset path) pairs."""
    folder = assets.asset_path("ict-facekit/FaceXModel/vertex_indices.json").parent
    names = json.loads((folder / "vertex_indices.json").read_text())["expressions"]
    shapes = [n for n in names if arkit_from_ict(n)]
    return folder, shapes


def _source_digest(paths):
    digest = hashlib.sha256(f"v{ICT_CACHE_VERSION}".encode())
    for p in paths:
        stat = Path(p).stat()
        digest.update(f"{Path(p).name}:{stat.st_size}".encode())
    return digest.hexdigest()[:16]


def load_ict_template(*, n_identity_modes=20, progress=None):
    """Load the ICT-FaceKit template, converting its OBJs into a cached ``.npz`` on first use (~3 s).

    Expression deltas are the expression OBJ minus the neutral, mapped from ICT's ``_L``/``_R`` names to ARKit names;
    ICT's split ``browInnerUp_L/_R`` and ``cheekPuff_L/_R`` are summed into ARKit's single shapes. ICT has no
    ``tongueOut`` (reported in ``missing``).

    Looked for in order: the copy a built extension ships (:data:`BUNDLED_ICT_TEMPLATE`; used as is when it holds at
    least ``n_identity_modes`` modes: it was converted by the same code the extension ships, and its source OBJs
    are not installed to check it against), then the user cache (:data:`ICT_TEMPLATE_FILE`, valid while its stored
    key matches the source OBJs' names and sizes), else the OBJs are converted and cached.

    ``progress`` (optional ``progress(fraction, message)``) is called once per OBJ converted (fraction 0..1 of the
    conversion; also a cancel point: a cancelled conversion writes no cache).

    Raises:
        AssetError: ICT-FaceKit files are missing or corrupt, or the bundled copy is unreadable (the message says
            how to fix it).
    """
    bundled = _load_bundled_template(n_identity_modes)
    if bundled is not None:
        return bundled
    cache = assets.cache_dir() / ICT_TEMPLATE_FILE
    folder, shapes = _ict_sources()
    identity_files = [folder / f"identity{k:03d}.obj" for k in range(n_identity_modes)]
    sources = [folder / "generic_neutral_mesh.obj"] + [folder / f"{s}.obj" for s in shapes] + identity_files
    key = _source_digest(sources)
    if cache.exists():
        try:
            with np.load(cache) as data:
                if str(data["key"]) == key:
                    return _template_from_arrays(data)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            pass  # a stale or damaged cache is rebuilt below
    arrays = _convert_ict(folder, shapes, identity_files, progress)
    arrays["key"] = np.array(key)
    with assets.atomic_output(cache, output=False) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)  # uncompressed: written and read back several times faster (~22 MB)
    return _template_from_arrays(arrays)


def _load_bundled_template(n_identity_modes):
    """The template from :data:`BUNDLED_ICT_TEMPLATE`, or None when there is none or it has too few identity modes."""
    path = assets.bundled_assets_dir() / BUNDLED_ICT_TEMPLATE
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:  # an npz decompresses a member on every access: read each once
            arrays = {name: data[name] for name in ("vertices", "triangles", "deltas", "skin", "identity_modes")}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        # No fallback: an installed extension has no OBJs to convert, so say what is actually broken.
        raise AssetError(
            f"the template bundled with facemotion at {path} is unreadable ({exc}); reinstall the extension"
        ) from exc
    if len(arrays["identity_modes"]) < n_identity_modes:
        return None
    return _template_from_arrays(arrays, n_identity_modes=n_identity_modes)


def _convert_ict(folder, shapes, identity_files, progress=None):
    report = progress or (lambda fraction, message: None)
    total = len(shapes) + len(identity_files) + 1
    report(0.0, "converting the ICT-FaceKit template (first use)")
    for p in [folder / "generic_neutral_mesh.obj", *identity_files]:
        assets.asset_path(f"ict-facekit/FaceXModel/{p.name}")  # verifies presence and checksum
    neutral = read_obj(folder / "generic_neutral_mesh.obj")
    v0 = neutral.vertices
    deltas = np.zeros((len(ARKIT_NAMES), len(v0), 3), dtype=np.float32)
    for done, shape in enumerate(shapes, 1):
        report(done / total, f"converting ICT-FaceKit expression {done}/{len(shapes)}")
        path = assets.asset_path(f"ict-facekit/FaceXModel/{shape}.obj")
        moved = read_obj(path, vertices_only=True).vertices
        if moved.shape != v0.shape:
            raise AssetError(f"{path}: {len(moved)} vertices, expected {len(v0)} (corrupt ICT-FaceKit file?)")
        deltas[ARKIT_INDEX[arkit_from_ict(shape)]] += ((moved - v0) * ICT_UNIT_M).astype(np.float32)
    identity = np.zeros((len(identity_files), len(v0), 3), np.float32)
    for k, p in enumerate(identity_files):
        report((len(shapes) + 1 + k) / total, f"converting ICT-FaceKit identity mode {k + 1}/{len(identity_files)}")
        identity[k] = (read_obj(p, vertices_only=True).vertices - v0) * ICT_UNIT_M
    skin = np.zeros(len(v0), dtype=bool)
    for part in ICT_SKIN_PARTS:
        skin[slice(*ICT_PARTS[part])] = True
    return {
        "vertices": v0 * ICT_UNIT_M,
        "triangles": neutral.triangles,
        "deltas": deltas,
        "skin": skin,
        "identity_modes": identity,
    }


def _template_from_arrays(data, n_identity_modes=None):
    deltas = np.asarray(data["deltas"], dtype=np.float32)
    identity = np.asarray(data["identity_modes"], dtype=np.float32)[:n_identity_modes]
    missing = tuple(n for n, d in zip(ARKIT_NAMES, deltas) if not np.any(d))
    return FaceTemplate(
        name="ICT-FaceKit",
        vertices=np.asarray(data["vertices"], dtype=np.float64),
        triangles=np.asarray(data["triangles"], dtype=np.int64),
        deltas=deltas,
        skin=np.asarray(data["skin"], dtype=bool),
        parts=dict(ICT_PARTS),
        identity_modes=identity,
        missing=missing,
    )
