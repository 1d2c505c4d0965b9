#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Train facemotion's emotion classifier and export it to ONNX (development tooling; scikit-learn, not shipped).

    python tools/train_emotion.py --data build/emotion_synth.npz [MORE.npz ...] \\
        [--heldout build/emotion_synth_heldout.npz] [--out models/emotion_classifier.onnx] \\
        [--spec distances,blendshapes,landmarks,asymmetry] [--relative] [--nuisance-projection K] [--seed 0] \\
        [--check-determinism]

``--relative`` trains the model that judges a face against the same face at rest (``FeatureSpec.relative``): each
training face is paired with another neutral face of its identity (:meth:`Dataset.reference_index`).

``--nuisance-projection K`` removes the look of the head from the ``logreg`` candidates' features: **nuisance
attribute projection** (NAP; Solomonoff, Campbell & Boardman 2005, "Advances in channel compensation for SVM speaker
recognition", ICASSP; cf. within-class covariance normalisation, Hatch, Kajarekar & Stolcke 2006, ICSLP). In the
StandardScaler's space, ``P = I - U U^T`` projects out an orthonormal basis ``U`` of the *identity* subspace
(:func:`nuisance_basis`): the K leading principal directions in which the training identities' neutral faces differ
(their mean distances and landmarks, one mean per identity), together with what smooth head-shape changes the
training heads lack do to the features (:func:`head_shape_directions`: polynomial warps of the canonical face, the
anisotropic scalings among them). The logistic regression is fitted on ``P z``; since ``P`` is linear and symmetric,
its weights are folded back (``W <- W P``) into an ordinary ``StandardScaler -> LogisticRegression`` pipeline, so the
exported graph, the feature spec and the runtime are those of a model without it. In cross-validation the basis is
estimated on each training fold alone.

Steps:

1. Load a dataset (.npz written by ``tools/emotion_data.py``: one array per feature part, ``labels``, ``groups``
   (identity id), ``intensity``, ``source``, ``meta``) and assemble the feature spec's columns.
2. Compare model families by subject-independent cross-validation: ``StratifiedGroupKFold`` (5 folds, shuffled with
   the seed) grouped by identity, so no identity is in both a training and a test fold. Families and their small
   fixed grids (:func:`candidates`):

   - ``svm``: [Guo 2025]'s classifier, an RBF SVM with calibrated probabilities:
     ``StandardScaler -> [PCA] -> CalibratedClassifierCV(SVC(kernel="rbf", C, gamma="scale"), cv=3)``
     (``SVC(probability=True)`` is deprecated in scikit-learn 1.9; the optional PCA keeps the support vectors of
     wide feature sets small);
   - ``logreg``: ``StandardScaler -> LogisticRegression(C)`` (multinomial, L2);
   - ``hgb``: ``HistGradientBoostingClassifier`` (histogram gradient boosting, fixed seed, no early stopping);
   - ``mlp``: ``StandardScaler -> PCA(128) -> MLPClassifier(64 hidden units, L2 alpha)``: one hidden layer, because a
     linear model cannot express "one mouth corner raised, on either side" (contempt, mirrored in the data).

3. Choose: the best mean CV accuracy wins, except that among candidates within ``--tolerance`` (default 1 percentage
   point) of it the one with the smallest ONNX file is taken (the model ships inside the add-on).
4. Refit the choice on all the training data, export with skl2onnx (``zipmap`` off, float32 input, fixed opsets),
   write the metadata :mod:`facemotion.core.emotion.classifier` checks (labels, feature spec, model version, training
   summary), verify onnxruntime's probabilities against scikit-learn's ``predict_proba`` (max |diff| <= 1e-4) on the
   held-out set (else on the training set), and write the file atomically.

Deterministic: every estimator and split is seeded and the training summary holds no times or paths beyond the
data file's name and SHA-256, so the same data and seed give the same ``.onnx`` bytes (skl2onnx names nodes
deterministically; checked by ``--check-determinism``, which trains twice and compares).
"""

import argparse
import hashlib
import io
import json
import sys
import time
import warnings
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion  # noqa: E402

import_facemotion()
from facemotion.core.emotion.classifier import (  # noqa: E402
    DEFAULT_MODEL_PATH,
    META_LABELS,
    META_SPEC,
    META_TRAINING,
    META_VERSION,
    MODEL_FORMAT_MAJOR,
    RELATIVE_MODEL_PATH,
)
from facemotion.core.emotion.features import (  # noqa: E402
    PARTS,
    FeatureSpec,
    assemble,
    canonical_face,
    distances_of_points,
    landmark_offsets,
)
from facemotion.core.emotion.presets import CATEGORIES  # noqa: E402
from facemotion.core.errors import InputError  # noqa: E402
from facemotion.core.io.atomic_io import atomic_write_bytes  # noqa: E402

#: Version written into ``facemotion_model_version`` (major = the metadata layout, minor = this training recipe).
MODEL_VERSION = f"{MODEL_FORMAT_MAJOR}.0"
#: Feature spec of the shipped model (see models/README.md for why no LBP).
DEFAULT_SPEC = ("distances", "blendshapes", "landmarks", "asymmetry")
#: The feature spec models are trained on unless told otherwise (frozen: safe as a default argument).
DEFAULT_FEATURE_SPEC = FeatureSpec(DEFAULT_SPEC)
#: Parts a relative model (``--relative``) also takes as measured, beside the differences of all its parts: the
#: blendshape scores and their asymmetry describe the expression; the geometry (distances, landmarks) describes the
#: head as well, so it enters only as a change from rest. An experiment on the consistency renders (5 heads, 75
#: poses; logistic regression C=0.1): differences alone 71/75, with the measured blendshapes + asymmetry 71/75 and
#: 1 point better on held-out faces, with everything measured too 69/75 (a caricature's rest pose read as angry).
RELATIVE_MEASURED_PARTS = ("blendshapes", "asymmetry")
#: ONNX opsets pinned so the export does not change with the installed onnx package.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
#: Largest |onnxruntime - scikit-learn| probability difference accepted after export.
EXPORT_TOLERANCE = 1e-4
#: PCA width used by the ``svm`` candidate on wide feature sets.
SVM_PCA_COMPONENTS = 64
#: Widest feature set the ``svm`` candidates also see whole (wider ones: PCA only).
SVM_MAX_FEATURES = 512
DEFAULT_SEED = 0
DEFAULT_FOLDS = 5
#: Head-shape warps of :func:`head_shape_directions`: every monomial ``u_x^i u_y^j u_z^k`` of degree 1 to this, of the
#: canonical face's coordinates normalised to [-1, 1], added to each axis in turn (degree 1: anisotropic scalings
#: and shears; 2 and 3: tapers, bulges, widening toward the chin; the similarity part is removed by the features).
HEAD_WARP_DEGREE = 3
#: Warp amplitude (fraction of the face's half-extent on the axis) at which the finite differences are taken.
HEAD_WARP_STEP = 0.05
#: Singular values below this fraction of the largest are dropped from a nuisance basis (what the features cannot see:
#: the warps' rotations and uniform scalings, which Procrustes alignment and the ratio of distances remove).
NUISANCE_RANK_TOLERANCE = 1e-3
#: The warps' monomials ``(i, j, k)``: ``u_x^i u_y^j u_z^k``; :func:`head_shape_directions` adds each to x, then y, z.
HEAD_WARP_MONOMIALS = tuple(
    (i, j, k)
    for i in range(HEAD_WARP_DEGREE + 1)
    for j in range(HEAD_WARP_DEGREE + 1 - i)
    for k in range(HEAD_WARP_DEGREE + 1 - i - j)
    if i + j + k >= 1
)


@dataclass
class Dataset:
    """A labeled feature dataset: ``parts`` ``{part: (N, PARTS[part]) float32}``, ``labels`` ``(N,) str``,
    ``groups`` ``(N,) int64`` (identity, -1 unknown), ``intensity`` ``(N,) float32`` (NaN unknown), ``source``
    ``(N,) str``, ``meta`` dict, ``path`` Path, ``sha256`` str (of the file)."""

    parts: dict
    labels: np.ndarray
    groups: np.ndarray
    intensity: np.ndarray
    source: np.ndarray
    meta: dict
    path: Path = None
    sha256: str = ""

    def __len__(self):
        return len(self.labels)

    @property
    def y(self):
        """``(N,) int64`` label indices into :data:`CATEGORIES` (the probability column order of every model)."""
        index = {c: i for i, c in enumerate(CATEGORIES)}
        return np.array([index[str(v)] for v in self.labels], dtype=np.int64)

    def features(self, spec, seed=0):
        """``(N, spec.size) float32`` design matrix. A relative spec pairs each face with a neutral face of the same
        identity (:meth:`reference_index`, drawn with ``seed``).

        Raises:
            InputError: the file lacks a part; a relative spec on faces without identity (groups -1) or on an identity
                without a neutral face.
        """
        # assemble() derives the derived parts (asymmetry) and names any part the file cannot provide.
        reference = None
        if spec.relative:
            ref = self.reference_index(seed)
            reference = {p: v[ref] for p, v in self.parts.items()}
        try:
            return assemble(self.parts, spec, reference)
        except InputError as exc:
            raise InputError(
                f"dataset {self.path} (parts {sorted(self.parts)}): {exc}; regenerate it with those "
                f"parts or choose another --spec"
            ) from exc

    def reference_index(self, seed=0):
        """``(N,) int64``: for each face, another neutral face of the same identity, drawn uniformly with ``seed``
        (a neutral face itself when it is its identity's only one). Another photo of the person at rest, under other
        pose, light and appearance: the model learns to compare with a reference that was not taken with the face,
        as a neutral video frame or a rig's rest pose render is not.

        Raises:
            InputError: faces without identity (groups -1), or an identity without a neutral face.
        """
        if np.any(self.groups < 0):
            raise InputError(
                f"dataset {self.path}: a relative model pairs faces with a neutral face of the same "
                f"person, but {int(np.sum(self.groups < 0))} faces have no subject id (groups.json)"
            )
        rng = np.random.default_rng(seed)
        neutral = self.labels == "neutral"
        ref = np.empty(len(self), np.int64)
        for g in np.unique(self.groups):
            members = np.flatnonzero(self.groups == g)
            pool = members[neutral[members]]
            if len(pool) == 0:
                raise InputError(f"dataset {self.path}: identity {g} has no neutral face to compare its faces with")
            for i in members:
                others = pool[pool != i]
                ref[i] = rng.choice(others) if len(others) else i
        return ref

    def cv_groups(self):
        """Identity groups for cross-validation; unknown identities (-1) each become their own group."""
        g = self.groups.astype(np.int64).copy()
        unknown = g < 0
        g[unknown] = g.max(initial=0) + 1 + np.arange(unknown.sum())
        return g

    def subset(self, mask):
        return Dataset(
            {k: v[mask] for k, v in self.parts.items()},
            self.labels[mask],
            self.groups[mask],
            self.intensity[mask],
            self.source[mask],
            self.meta,
            self.path,
            self.sha256,
        )


def load_dataset(path):
    """Read a dataset ``.npz`` (layout: module docstring) into a :class:`Dataset`.

    Raises InputError: missing file or arrays, a label outside :data:`CATEGORIES`, inconsistent lengths, or a part
    with the wrong width.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"dataset {path} does not exist; generate it with tools/emotion_data.py")
    raw = path.read_bytes()
    with np.load(io.BytesIO(raw), allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    if "labels" not in arrays:
        raise InputError(f"dataset {path} has no 'labels' array (it has {sorted(arrays)})")
    labels = arrays["labels"].astype(str)
    n = len(labels)
    unknown = sorted(set(labels) - set(CATEGORIES))
    if unknown:
        raise InputError(f"dataset {path} has labels {unknown} outside the categories {list(CATEGORIES)}")
    parts = {}
    for part, width in PARTS.items():
        if part in arrays:
            a = np.asarray(arrays[part], dtype=np.float32)
            if a.shape != (n, width):
                raise InputError(f"dataset {path}: '{part}' has shape {a.shape}, expected ({n}, {width})")
            parts[part] = a
    if not parts:
        raise InputError(f"dataset {path} has no feature arrays (expected some of {list(PARTS)})")
    groups = np.asarray(arrays.get("groups", np.full(n, -1)), dtype=np.int64)
    intensity = np.asarray(arrays.get("intensity", np.full(n, np.nan)), dtype=np.float32)
    source = np.asarray(arrays.get("source", np.full(n, "")), dtype=str)
    if not len(groups) == len(intensity) == len(source) == n:
        raise InputError(f"dataset {path}: labels, groups, intensity and source differ in length")
    try:
        meta = json.loads(str(arrays["meta"])) if "meta" in arrays else {}
    except ValueError:
        meta = {"text": str(arrays["meta"])}
    return Dataset(parts, labels, groups, intensity, source, meta, path, hashlib.sha256(raw).hexdigest())


def concat_datasets(datasets):
    """One :class:`Dataset` from several (e.g. coloured and plain-shaded renders): arrays concatenated, parts kept
    only where every file has them; ``path`` the first file's, ``sha256`` the files' hashes joined by ``+``.
    Group ids are global identity ids in tools/emotion_data.py, so they keep their meaning across files."""
    if len(datasets) == 1:
        return datasets[0]
    parts = [p for p in PARTS if all(p in d.parts for d in datasets)]
    if not parts:
        raise InputError("the training files share no feature part; regenerate them with tools/emotion_data.py")
    cat = lambda arrays: np.concatenate(arrays)  # noqa: E731
    return Dataset(
        {p: cat([d.parts[p] for d in datasets]) for p in parts},
        cat([d.labels for d in datasets]),
        cat([d.groups for d in datasets]),
        cat([d.intensity for d in datasets]),
        cat([d.source for d in datasets]),
        {"files": [d.meta for d in datasets]},
        datasets[0].path,
        "+".join(d.sha256 for d in datasets),
    )


# ----------------------------------------------------------------------------------------------------------------------
# nuisance attribute projection


def head_shape_directions(spec):
    """``(3 * len(HEAD_WARP_MONOMIALS), spec.size) float64``: the change of the feature vector per unit of each
    smooth warp of MediaPipe's canonical face (:data:`HEAD_WARP_MONOMIALS` added to x, then y, then z; finite
    differences at :data:`HEAD_WARP_STEP`), in raw feature units. The
    warps move landmarks only, so the ``blendshapes`` (and ``lbp``) columns are 0; ``asymmetry`` follows the
    distances. These are head shapes (wide, tapered, bulging, stretched faces: stylised characters) that the
    ICT-FaceKit identities of the training renders do not span.

    Raises:
        InputError: a relative spec (it already compares each face with the same face at rest).
    """
    if spec.relative:
        raise InputError("a relative model compares the face with its own rest pose; it needs no nuisance projection")
    canonical = canonical_face().astype(np.float64)
    centred = canonical - canonical.mean(axis=0)
    extent = np.abs(centred).max(axis=0)
    u = centred / extent

    def vector(points):
        distances = distances_of_points(points)
        parts = {
            "distances": distances,
            "landmarks": landmark_offsets(points, canonical),
            "blendshapes": np.zeros(PARTS["blendshapes"], np.float32),
            "lbp": np.zeros(PARTS["lbp"], np.float32),
        }
        return assemble(parts, spec).astype(np.float64)

    base = vector(canonical)
    out = []
    for axis in range(3):
        for i, j, k in HEAD_WARP_MONOMIALS:
            warped = canonical.copy()
            warped[:, axis] += HEAD_WARP_STEP * extent[axis] * u[:, 0] ** i * u[:, 1] ** j * u[:, 2] ** k
            out.append((vector(warped) - base) / HEAD_WARP_STEP)
    return np.array(out)


def _orthonormal_columns(vectors):
    """``(n, r)`` orthonormal basis of the span of the rows of ``vectors`` ``(m, n)`` (SVD; singular values below
    :data:`NUISANCE_RANK_TOLERANCE` of the largest dropped)."""
    basis, sv, _ = np.linalg.svd(np.asarray(vectors, np.float64).T, full_matrices=False)
    return basis[:, sv > NUISANCE_RANK_TOLERANCE * sv[0]]


def nuisance_basis(Z, y, groups, spec, scale, rank):
    """Orthonormal ``(n_features, r) float64`` basis ``U`` of the identity subspace in the scaled feature space.

    Args:
        Z: ``(N, n_features)`` standardised training features (``StandardScaler`` output).
        y: ``(N,)`` label indices (:data:`CATEGORIES`); the neutral faces estimate the identities.
        groups: ``(N,)`` identity ids (negative: unknown, left out).
        spec: the :class:`FeatureSpec` of the columns.
        scale: ``(n_features,)`` the scaler's ``scale_`` (head-shape directions are divided by it).
        rank: K, the leading principal directions of the identities' mean neutral face (distance and landmark
            columns only: blendshape scores describe the expression) kept; 0 for the head-shape warps alone.

    Returns ``U``: the K identity directions and :func:`head_shape_directions` (scaled), orthonormalised together.

    Raises:
        InputError: fewer than ``rank + 1`` identities with a neutral face.
    """
    geometric = np.zeros(len(spec.names()), bool)
    geometric[[i for i, n in enumerate(spec.names()) if n.split(":")[0] in ("distances", "landmarks")]] = True
    neutral = (y == CATEGORIES.index("neutral")) & (groups >= 0)
    ids = np.unique(groups[neutral])
    if len(ids) < rank + 1:
        raise InputError(
            f"--nuisance-projection {rank} needs at least {rank + 1} identities with a neutral face; "
            f"the training data has {len(ids)}"
        )
    directions = _orthonormal_columns(head_shape_directions(spec) / scale).T
    if rank:
        means = np.array([Z[neutral & (groups == g)].mean(axis=0) for g in ids])
        means = (means - means.mean(axis=0)) * geometric
        directions = np.vstack([np.linalg.svd(means, full_matrices=False)[2][:rank], directions])
    return _orthonormal_columns(directions)


def fit_projected_logreg(X, y, groups, spec, C, rank):
    """``StandardScaler -> LogisticRegression(C)`` fitted on nuisance-projected features (module docstring), with the
    projection folded into the weights: a plain fitted ``Pipeline`` whose ``predict_proba(X)`` equals the
    regression on ``P z``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X).astype(np.float64)
    U = nuisance_basis(Z, y, groups, spec, scaler.scale_, rank)
    logreg = LogisticRegression(C=C, max_iter=5000, tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logreg.fit(Z - (Z @ U) @ U.T, y)
    logreg.coef_ = logreg.coef_ - (logreg.coef_ @ U) @ U.T
    return Pipeline([("scale", scaler), ("logreg", logreg)])


# ----------------------------------------------------------------------------------------------------------------------
# models


def make_estimator(family, params, seed):
    """A fresh unfitted scikit-learn estimator for ``family`` (``svm``, ``logreg`` or ``hgb``) with ``params``."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.decomposition import PCA
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if family == "svm":
        steps = [("scale", StandardScaler())]
        if params.get("pca"):
            steps.append(("pca", PCA(n_components=params["pca"], svd_solver="full", random_state=seed)))
        # cv=3 with the default StratifiedKFold (no shuffle): deterministic. Sigmoid (Platt) calibration as in
        # libsvm's own probability estimates.
        steps.append(
            ("svm", CalibratedClassifierCV(SVC(kernel="rbf", C=params["C"], gamma="scale"), cv=3, method="sigmoid"))
        )
        return Pipeline(steps)
    if family == "logreg":
        return Pipeline(
            [("scale", StandardScaler()), ("logreg", LogisticRegression(C=params["C"], max_iter=5000, tol=1e-6))]
        )
    if family == "mlp":
        # PCA first: 1479 correlated landmark coordinates -> 128 components keep the network (and file) small.
        return Pipeline(
            [
                ("scale", StandardScaler()),
                ("pca", PCA(n_components=params["pca"], svd_solver="full", random_state=seed)),
                (
                    "mlp",
                    MLPClassifier(
                        hidden_layer_sizes=(params["hidden"],), alpha=params["alpha"], max_iter=1000, random_state=seed
                    ),
                ),
            ]
        )
    if family == "hgb":
        return HistGradientBoostingClassifier(
            max_iter=params["max_iter"],
            learning_rate=params["learning_rate"],
            max_leaf_nodes=params["max_leaf_nodes"],
            max_bins=params["max_bins"],
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
    raise InputError(f"unknown model family {family!r}; use one of {', '.join(FAMILIES)}")


FAMILIES = ("svm", "logreg", "hgb", "mlp")


def candidates(n_features, families=FAMILIES, nuisance=None):
    """The fixed hyper-parameter grid: ``[(family, params), ...]`` (small on purpose: 2 cores, minutes);
    ``nuisance``: the ``--nuisance-projection`` rank given to the ``logreg`` candidates (None: none)."""
    out = []
    if "svm" in families:
        if n_features <= SVM_MAX_FEATURES:
            out += [("svm", {"C": 1.0, "pca": None}), ("svm", {"C": 10.0, "pca": None})]
        if n_features > 2 * SVM_PCA_COMPONENTS:
            # Wide specs (1504, 3008 features): the kernel SVM on PCA components only; on all columns it took
            # minutes per fold at 8000 faces and was not better (73.5-74.1 % vs 73.1 % CV on 3000 faces).
            out += [("svm", {"C": c, "pca": SVM_PCA_COMPONENTS}) for c in (1.0, 10.0)]
    if "logreg" in families:
        # Strong L2: 1479 correlated features, 60 identities (C = 1 was worse and 2x slower in the first runs).
        grid = [{"C": 0.03}, {"C": 0.1}] if nuisance is None else [{"C": c, "nuisance": nuisance} for c in (0.1, 0.3)]
        out += [("logreg", params) for params in grid]
    if "hgb" in families:
        # 63 bins instead of 255: 2.5x faster on ~1500 features at the same accuracy on these smooth features.
        out += [("hgb", {"max_iter": 150, "learning_rate": 0.1, "max_leaf_nodes": 15, "max_bins": 63})]
    if "mlp" in families:
        # One hidden layer: a linear model cannot express "one mouth corner up, either side" (contempt, mirrored in
        # the data); a small network can.
        out += [("mlp", {"hidden": 64, "alpha": 1.0, "pca": min(128, n_features)})]
    return out


def describe(family, params):
    return family + "(" + ", ".join(f"{k}={v}" for k, v in params.items() if v is not None) + ")"


def fit(family, params, X, y, seed, groups=None, spec=None):
    """Fit quietly (scikit-learn's convergence chatter is not a result) and return the estimator. A PCA width
    larger than the data allows (tiny sets) is clipped to ``min(n_samples, n_features)``. A ``logreg`` with
    ``params["nuisance"]`` (a rank) is :func:`fit_projected_logreg`, which needs the faces' identity ``groups`` and
    the feature ``spec``."""
    if family == "logreg" and params.get("nuisance") is not None:
        return fit_projected_logreg(X, y, groups, spec, params["C"], params["nuisance"])
    if params.get("pca"):
        params = {**params, "pca": min(params["pca"], *np.shape(X))}
    model = make_estimator(family, params, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return model


def predict_proba_8(model, X):
    """``(N, 8)`` probabilities in :data:`CATEGORIES` order (columns of classes absent from training are 0)."""
    p = model.predict_proba(X)
    out = np.zeros((len(X), len(CATEGORIES)))
    out[:, model.classes_] = p
    return out


def cross_validate(X, y, groups, grid, *, seed=DEFAULT_SEED, n_splits=DEFAULT_FOLDS, spec=None, log=print):
    """Subject-independent CV of each ``(family, params)``: a list of dicts with ``fold_accuracy`` and ``mean``
    (``spec``: the columns' :class:`FeatureSpec`, needed by a nuisance-projected candidate)."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_splits = min(n_splits, len(np.unique(groups)))
    if n_splits < 2:
        raise InputError("cross-validation needs at least 2 identities (groups) in the training data")
    folds = list(StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(X, y, groups))
    results = []
    for family, params in grid:
        start = time.perf_counter()
        acc = []
        for train, test in folds:
            model = fit(family, params, X[train], y[train], seed, groups[train], spec)
            acc.append(float(np.mean(model.predict(X[test]) == y[test])))
        results.append(
            {
                "family": family,
                "params": params,
                "fold_accuracy": acc,
                "mean": float(np.mean(acc)),
                "std": float(np.std(acc)),
            }
        )
        log(
            f"  {describe(family, params):<34s} CV accuracy {100 * np.mean(acc):5.1f} % "
            f"(+- {100 * np.std(acc):4.1f})  [{time.perf_counter() - start:.0f} s]"
        )
    return results


# ----------------------------------------------------------------------------------------------------------------------
# export


def to_onnx_bytes(model, n_features, spec, training, version=MODEL_VERSION):
    """Export a fitted estimator to ONNX bytes with facemotion's metadata (see core.emotion.classifier)."""
    import onnx
    from skl2onnx import to_onnx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onx = to_onnx(
            model,
            np.zeros((1, n_features), np.float32),
            options={id(model): {"zipmap": False}},
            target_opset=TARGET_OPSET,
        )
    onnx.helper.set_model_props(
        onx,
        {
            META_LABELS: json.dumps(list(CATEGORIES)),
            META_SPEC: spec.to_json(),
            META_VERSION: version,
            META_TRAINING: json.dumps(training, sort_keys=True, separators=(",", ":")),
        },
    )
    onx.doc_string = "facemotion emotion classifier (GPL-3.0-or-later); built by tools/train_emotion.py"
    return onx.SerializeToString()


def onnx_probabilities(onnx_bytes, X):
    """Run an exported model with onnxruntime: ``(N, 8) float32`` probabilities."""
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {session.get_inputs()[0].name: np.asarray(X, np.float32)})[0]


def verify_export(model, onnx_bytes, X):
    """Max |onnxruntime - predict_proba| over ``X``; raises RuntimeError above :data:`EXPORT_TOLERANCE`."""
    X = np.asarray(X, np.float32)
    diff = float(np.abs(onnx_probabilities(onnx_bytes, X) - predict_proba_8(model, X)).max())
    if not diff <= EXPORT_TOLERANCE:
        raise RuntimeError(
            f"the ONNX export disagrees with scikit-learn by {diff:.2e} (> {EXPORT_TOLERANCE}); do not ship it"
        )
    return diff


# ----------------------------------------------------------------------------------------------------------------------
# training


def train(
    data,
    *,
    spec=DEFAULT_FEATURE_SPEC,
    heldout=None,
    seed=DEFAULT_SEED,
    n_splits=DEFAULT_FOLDS,
    families=FAMILIES,
    tolerance=0.01,
    data_files=None,
    nuisance=None,
    log=print,
):
    """Cross-validate, choose, refit and export. ``data``/``heldout``: :class:`Dataset` (heldout optional);
    ``nuisance``: rank of the ``logreg`` candidates' nuisance attribute projection (None: none; module docstring).

    ``data_files``: names of the training files, recorded in the summary when several were concatenated.
    Returns ``(onnx_bytes, summary dict)``; the summary is also stored in the model's ``facemotion_training``.
    Raises InputError when the training data lacks one of the 8 categories.
    """
    import onnx
    import skl2onnx
    import sklearn

    X, y, groups = data.features(spec, seed), data.y, data.cv_groups()
    absent = [c for i, c in enumerate(CATEGORIES) if not np.any(y == i)]
    if absent:
        raise InputError(
            f"training data {data.path} has no examples of {absent}; every model covers all of {list(CATEGORIES)}"
        )
    log(
        f"training on {len(y)} faces, {len(np.unique(groups))} identities, spec {spec.describe()}"
        f"{' (rest: a neutral face of the same identity)' if spec.relative else ''} ({spec.size} features); "
        f"{n_splits}-fold subject-independent CV, seed {seed}"
    )
    grid = candidates(spec.size, families, nuisance)
    results = cross_validate(X, y, groups, grid, seed=seed, n_splits=n_splits, spec=spec, log=log)
    best = max(r["mean"] for r in results)
    # Finalists: within the tolerance of the best; refit each on all data, export, keep the smallest file.
    finalists = [r for r in results if r["mean"] >= best - tolerance]
    # The best of each family only (a family's grid points are about the same size).
    per_family = {}
    for r in sorted(finalists, key=lambda r: -r["mean"]):
        per_family.setdefault(r["family"], r)
    versions = {"scikit-learn": sklearn.__version__, "skl2onnx": skl2onnx.__version__, "onnx": onnx.__version__}
    summary = {
        "data": {
            "file": data.path.name if data.path else None,
            "sha256": data.sha256,
            "faces": int(len(y)),
            "identities": int(len(np.unique(groups))),
            "meta": data.meta,
            "class_counts": {c: int(np.sum(y == i)) for i, c in enumerate(CATEGORIES)},
        },
        "spec": list(spec.parts),
        "delta_parts": list(spec.delta_parts),
        "seed": seed,
        "cv": f"StratifiedGroupKFold(n_splits={n_splits}, shuffle=True, random_state={seed}) by identity",
        "candidates": [
            {
                "model": describe(r["family"], r["params"]),
                "cv_accuracy": round(r["mean"], 4),
                "cv_std": round(r["std"], 4),
            }
            for r in results
        ],
        "selection": f"best CV accuracy; among candidates within {tolerance:.3f} of it the smallest ONNX file",
        "versions": versions,
    }
    if data_files:
        summary["data"]["files"] = list(data_files)
    if nuisance is not None:  # absent = none: the summaries of models without it keep their first form
        summary["nuisance_projection"] = {
            "identity_rank": nuisance,
            "head_warp_degree": HEAD_WARP_DEGREE,
            "method": "nuisance attribute projection (Solomonoff, Campbell & Boardman 2005), folded into the weights",
        }
    exported = []
    for r in per_family.values():
        model = fit(r["family"], r["params"], X, y, seed, groups, spec)
        size = len(to_onnx_bytes(model, spec.size, spec, summary))
        log(f"  finalist {describe(r['family'], r['params'])}: CV {100 * r['mean']:.1f} %, ONNX {size / 1e6:.2f} MB")
        exported.append((size, -r["mean"], r, model))
    exported.sort(key=lambda e: (e[0], e[1]))
    _, _, chosen, model = exported[0]
    summary["chosen"] = {"model": describe(chosen["family"], chosen["params"]), "cv_accuracy": round(chosen["mean"], 4)}
    check_X = X
    if heldout is not None:
        Xh, yh = heldout.features(spec, seed), heldout.y
        pred = np.argmax(predict_proba_8(model, Xh), axis=1)
        recall = [float(np.mean(pred[yh == i] == i)) if np.any(yh == i) else None for i in range(len(CATEGORIES))]
        summary["heldout"] = {
            "file": heldout.path.name if heldout.path else None,
            "sha256": heldout.sha256,
            "faces": int(len(yh)),
            "accuracy": round(float(np.mean(pred == yh)), 4),
            "per_class": {c: (None if r is None else round(r, 4)) for c, r in zip(CATEGORIES, recall)},
        }
        check_X = Xh
    diff = verify_export(model, to_onnx_bytes(model, spec.size, spec, summary), check_X)
    # The check's result goes into the metadata too: export again (the graph is the same, only the summary changes).
    summary["export_max_abs_diff"] = float(f"{diff:.3g}")
    summary["export_checked_on"] = "heldout" if heldout is not None else "training"
    onnx_bytes = to_onnx_bytes(model, spec.size, spec, summary)
    verify_export(model, onnx_bytes, check_X)
    log(
        f"chosen: {summary['chosen']['model']} (CV {100 * chosen['mean']:.1f} %), ONNX {len(onnx_bytes) / 1e6:.2f} MB,"
        f" onnxruntime vs scikit-learn max |diff| {diff:.1e} on {len(check_X)} faces"
    )
    if heldout is not None:
        log(f"held-out accuracy: {100 * summary['heldout']['accuracy']:.1f} % on {len(heldout)} faces")
    return onnx_bytes, summary


def parse_spec(text, relative=False):
    """``"distances,blendshapes"`` -> :class:`FeatureSpec` (``all`` = every part); ``relative``: those parts as
    differences from the face at rest, beside :data:`RELATIVE_MEASURED_PARTS` as measured. Raises InputError."""
    parts = tuple(PARTS) if text.strip() == "all" else tuple(p.strip() for p in text.split(",") if p.strip())
    if relative:
        return FeatureSpec(parts=tuple(p for p in RELATIVE_MEASURED_PARTS if p in parts), delta_parts=parts)
    return FeatureSpec(parts=parts)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        required=True,
        type=Path,
        nargs="+",
        help="training dataset .npz (tools/emotion_data.py); several are concatenated",
    )
    parser.add_argument(
        "--heldout", type=Path, help="dataset of held-out identities: reported, and used to verify the export"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help=f"ONNX file to write (default models/{DEFAULT_MODEL_PATH.name}, with "
        f"--relative models/{RELATIVE_MODEL_PATH.name})",
    )
    parser.add_argument(
        "--spec",
        default=",".join(DEFAULT_SPEC),
        help=f"comma-separated feature parts from {list(PARTS)}, or 'all' (default: %(default)s)",
    )
    parser.add_argument(
        "--relative",
        action="store_true",
        help="train the model that compares each face with the same face at rest (a neutral face of "
        "the same identity); written beside the default model as emotion_classifier_relative.onnx",
    )
    parser.add_argument(
        "--nuisance-projection",
        type=int,
        metavar="K",
        help="project the look of the head out of the logreg candidates' features: the K leading directions in "
        "which the training identities' neutral faces differ, plus smooth head-shape warps of the canonical face "
        "(nuisance attribute projection, Solomonoff et al. 2005; folded into the exported weights)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--folds", type=int, default=DEFAULT_FOLDS)
    parser.add_argument("--families", default=",".join(FAMILIES), help="model families to compare")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.01,
        help="CV accuracy a smaller model may give up (fraction; default %(default)s)",
    )
    parser.add_argument("--summary", type=Path, help="also write the training summary as JSON here")
    parser.add_argument(
        "--check-determinism", action="store_true", help="train a second time and check the ONNX bytes are identical"
    )
    args = parser.parse_args(argv)
    try:
        spec = parse_spec(args.spec, args.relative)
        out = args.out or (RELATIVE_MODEL_PATH if args.relative else DEFAULT_MODEL_PATH)
        if args.nuisance_projection is not None and args.nuisance_projection < 0:
            raise InputError(f"--nuisance-projection takes a rank >= 0, not {args.nuisance_projection}")
        families = tuple(f.strip() for f in args.families.split(",") if f.strip())
        bad = [f for f in families if f not in FAMILIES]
        if bad:
            raise InputError(f"unknown model families {bad}; choose from {list(FAMILIES)}")
        data = concat_datasets([load_dataset(p) for p in args.data])
        files = [p.name for p in args.data] if len(args.data) > 1 else None
        heldout = load_dataset(args.heldout) if args.heldout else None
        onnx_bytes, summary = train(
            data,
            spec=spec,
            heldout=heldout,
            seed=args.seed,
            n_splits=args.folds,
            families=families,
            tolerance=args.tolerance,
            data_files=files,
            nuisance=args.nuisance_projection,
        )
        if args.check_determinism:
            with redirect_stdout(io.StringIO()):
                again, _ = train(
                    data,
                    spec=spec,
                    heldout=heldout,
                    seed=args.seed,
                    n_splits=args.folds,
                    families=families,
                    tolerance=args.tolerance,
                    data_files=files,
                    nuisance=args.nuisance_projection,
                )
            same = again == onnx_bytes
            print(
                f"determinism: second run {'byte-identical' if same else 'DIFFERS'} "
                f"(sha256 {hashlib.sha256(onnx_bytes).hexdigest()[:16]} / {hashlib.sha256(again).hexdigest()[:16]})"
            )
            if not same:
                return 1
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    atomic_write_bytes(out, onnx_bytes)
    print(f"wrote {out} ({len(onnx_bytes) / 1e6:.2f} MB, sha256 {hashlib.sha256(onnx_bytes).hexdigest()})")
    if args.summary:
        atomic_write_bytes(args.summary, (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
