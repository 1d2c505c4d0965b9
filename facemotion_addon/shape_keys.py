# SPDX-License-Identifier: GPL-3.0-or-later
"""Writing ARKit shape keys onto a mesh safely.

Ownership: the names of the key blocks facemotion wrote are listed in the custom property
``Key["facemotion_keys"]`` of the mesh's shape-key data-block (key blocks themselves cannot hold custom properties),
and ``Key["facemotion_basis"]`` is True when facemotion created the Basis. Keys not in that list belong to the
user and are never modified, replaced or removed. The same list is also kept as ``Mesh["facemotion_keys"]`` and
``Object["facemotion_keys"]`` (a string, one name per line): glTF and FBX export drop the Key's custom properties but
keep the mesh's (glTF
``extras``) and the object's (FBX custom properties), so re-rigging facemotion's own GLB/FBX output with replace
still knows which keys are facemotion's. The Key's list wins when present. The list keeps the ARKit names also when an
export renamed the targets (``names="unreal"``): :func:`restore_arkit_names` gives them back on import.

Coordinates move through :mod:`.bridge` (bulk ``foreach_get``/``foreach_set``, no per-vertex Python loop).
"""

import numpy as np

from ..core.errors import FacemotionError, InputError
from ..core.io.export_options import NAME_STYLES, export_name
from .bridge import key_block_coords, set_key_block_coords
from .settings.strength_properties import object_strength

#: Custom property on the ``Key`` data-block: list of the key block names facemotion wrote.
KEY_NAMES_PROP = "facemotion_keys"
#: Custom property on the ``Key`` data-block: True when facemotion created the reference (Basis) key.
BASIS_PROP = "facemotion_basis"


def _require_mesh(obj):
    if obj is None or obj.type != "MESH":
        raise InputError("facemotion works on mesh objects only; select a mesh")
    if obj.mode == "EDIT":
        # Edit Mode keeps its own copy of the shape keys and writes it back on exit, undoing ours.
        raise InputError(f"mesh '{obj.name}' is in Edit Mode; switch to Object Mode first")
    return obj.data


def _listed_names(obj, key):
    """The ownership list: from the Key, else from the mesh or the object (what survives glTF/FBX export)."""
    for holder in (key, obj.data, obj):
        names = holder.get(KEY_NAMES_PROP)
        if isinstance(names, str):  # the mesh's and object's copies: one line per name
            return [n for n in names.split("\n") if n]
        if names is not None:
            try:
                return [str(n) for n in names]
            except TypeError:  # a user's property of another type: not ours
                return []
    return []


def _store_names(obj, key, names):
    names = list(names)
    key[KEY_NAMES_PROP] = names
    for holder in (obj.data, obj):  # one name per line: FBX turns string lists into their repr()
        holder[KEY_NAMES_PROP] = "\n".join(names)


def facemotion_key_names(obj):
    """Names of the shape keys on ``obj`` that facemotion wrote (and that still exist), in creation order."""
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    if key is None:
        return []
    return [name for name in _listed_names(obj, key) if name in key.key_blocks]


def restore_arkit_names(obj):
    """Rename facemotion's own shape keys on ``obj`` that an export renamed (the ``unreal`` preset's PascalCase:
    :func:`core.io.export_options.export_name`) back to their ARKit names, so that re-rigging or re-animating such a
    file finds facemotion's set (and replaces or drives it) instead of adding a second set of 52 beside it.

    A key is renamed only when the ownership list names its ARKit name, that name is not on the mesh, and the
    exported form of it is; the user's keys (not on the list) are never renamed. Returns the names given back.
    """
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    if key is None:
        return []
    restored = []
    for name in _listed_names(obj, key):
        if name in key.key_blocks:
            continue
        exported = (export_name(name, style.value) for style in NAME_STYLES)
        block = next((key.key_blocks[other] for other in exported if other in key.key_blocks), None)
        if block is not None:
            block.name = name  # Blender renames the F-curves' data paths with it: the file's animation follows
            restored.append(name)
    return restored


def check_shape_key_clashes(obj, names, *, replace=False):
    """Raise if writing shape keys ``names`` on ``obj`` would touch a key facemotion may not overwrite.

    Clashes: a name equal to the Basis key, a key the user made (never overwritten), or a key facemotion made
    earlier when ``replace`` is False. Also refuses meshes with absolute (non-relative) shape keys and meshes in
    Edit Mode. Writes nothing; used by :func:`write_shape_keys` and by callers that must check several objects
    before writing any.

    Raises:
        InputError: not a mesh, Edit Mode, absolute shape keys.
        FacemotionError: the first clashing name, with what to do about it.
    """
    mesh = _require_mesh(obj)
    key = mesh.shape_keys
    if key is None:
        return
    if not key.use_relative:
        raise InputError(f"mesh '{obj.name}' uses absolute shape keys; enable Relative in its Shape Keys panel")
    ours = set(_listed_names(obj, key))
    reference = key.reference_key.name
    for name in names:
        name = str(name)
        if name not in key.key_blocks:
            continue
        if name == reference:
            raise FacemotionError(f"'{name}' is the Basis shape key of '{obj.name}'; rename the Basis key")
        if name not in ours:
            raise FacemotionError(
                f"shape key '{name}' on '{obj.name}' already exists and was not made by "
                "facemotion; rename or delete it (facemotion never overwrites your keys)"
            )
        if not replace:
            raise FacemotionError(
                f"shape key '{name}' on '{obj.name}' was already made by facemotion; enable replace to overwrite it "
                "(--replace-keys on the command line)"
            )


def write_shape_keys(obj, deltas, names, *, replace=False):
    """Add (or, with ``replace``, overwrite facemotion's own) relative shape keys ``Basis + delta`` on ``obj``.

    Args:
        obj: a mesh ``bpy.types.Object`` in Object Mode.
        deltas: ``(K, n_vertices, 3)`` float array, vertex offsets in the object's LOCAL space (mesh units, metres
            on a metre-scaled mesh), vertex order of ``obj.data.vertices``.
        names: ``K`` unique shape key names (normally ARKit names).
        replace: overwrite keys of the same name that facemotion wrote earlier. Keys the user made are never
            overwritten, with or without ``replace``.

    Returns:
        The list of names written (created or replaced), in the order given.

    Raises:
        InputError: not a mesh, Edit Mode, absolute (non-relative) shape keys, wrong delta shape, non-finite values,
            repeated or empty names.
        FacemotionError: a name clashes with an existing key (the user's own, the Basis, or facemotion's without
            ``replace``); nothing is written in that case.

    A mesh without shape keys first gets a ``Basis`` created from its current vertices. New keys are created with
    ``from_mix=False`` and made relative to the Basis, with value 0.
    """
    mesh = _require_mesh(obj)
    names = [str(n) for n in names]
    if any(not n.strip() for n in names) or len(set(names)) != len(names):
        raise InputError("shape key names must be non-empty and unique")
    if any(len(n.encode("utf-8")) > 63 for n in names):
        raise InputError("shape key names are limited to 63 bytes in Blender; shorten the name")
    n_vertices = len(mesh.vertices)
    deltas = np.asarray(deltas, dtype=np.float32)
    if deltas.shape != (len(names), n_vertices, 3):
        raise InputError(
            f"deltas must have shape ({len(names)}, {n_vertices}, 3) for mesh '{obj.name}' "
            f"({n_vertices} vertices); got {deltas.shape}"
        )
    if not np.isfinite(deltas).all():
        raise InputError("shape key deltas contain NaN or infinite values")

    check_shape_key_clashes(obj, names, replace=replace)
    key = mesh.shape_keys
    if key is None:
        obj.shape_key_add(name="Basis", from_mix=False)
        key = mesh.shape_keys
        key[BASIS_PROP] = True

    basis = key.reference_key
    basis_co = key_block_coords(basis)
    for name, delta in zip(names, deltas):
        block = key.key_blocks.get(name)
        if block is None:
            block = obj.shape_key_add(name=name, from_mix=False)
            block.value = 0.0
        block.relative_key = basis
        set_key_block_coords(block, basis_co + delta)

    listed = _listed_names(obj, key)
    _store_names(obj, key, listed + [n for n in names if n not in listed])
    mesh.update()
    return names


def set_weights(obj, weights, names):
    """Set the current values of ``obj``'s shape keys: ``key_blocks[names[i]].value = weights[i]`` times the
    character's strength (:func:`.settings.strength_properties.object_strength`, clamped to 0..1).

    Args:
        weights: ``(len(names),)`` floats (ARKit weights in [0, 1]); clipped to each key's slider range.
        names: shape key names, one per weight (normally ``core.arkit.ARKIT_NAMES``).

    Returns the list of names with no shape key on the mesh (skipped). Raises InputError on a shape mismatch,
    non-finite weights, or a mesh without shape keys.
    """
    mesh = _require_mesh(obj)
    weights = np.asarray(weights, dtype=np.float64)
    names = [str(n) for n in names]
    if weights.shape != (len(names),):
        raise InputError(f"weights must have shape ({len(names)},), one per name; got {weights.shape}")
    if not np.isfinite(weights).all():
        raise InputError("weights contain NaN or infinite values")
    key = mesh.shape_keys
    if key is None:
        raise InputError(f"mesh '{obj.name}' has no shape keys; create the ARKit shape keys first")
    weights = object_strength(obj).apply(weights, names)
    missing = []
    for name, weight in zip(names, weights):
        block = key.key_blocks.get(name)
        if block is None or block == key.reference_key:
            missing.append(name)
        else:
            block.value = float(np.clip(weight, block.slider_min, block.slider_max))
    return missing
