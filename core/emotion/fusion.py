# SPDX-License-Identifier: GPL-3.0-or-later
"""Fusion of the two emotion channels, calibration of the result, and the *uncertain* verdict.

Channels: the geometric classifier (:mod:`.classifier`: [Guo 2025]'s distances with blendshapes, landmarks and
asymmetry, trained on the project's renders; 8 classes; the mean of two looks at each face, the face and its mirror
view, :meth:`~.classifier.FusedEmotionClassifier.geometry_probabilities`) and the appearance channel
(:mod:`.appearance`: two CNNs trained on real photographs, FER2013's mini-Xception and face-api.js's
FaceExpressionNet; 7 classes, no contempt).

**Weighted log-linear pooling** (a "logarithmic opinion pool", Genest & Zidek 1986; here with class biases, i.e.
stacking by a multinomial logistic regression constrained to one weight per channel)::

    z_c = w_geometry * log p_geometry(c) + w_appearance * log p_appearance(c) + b_c,    p = softmax(z / T)

``log p`` is floored at ``log(PROBABILITY_FLOOR)`` so one channel's certainty cannot veto a class outright. A class one
channel cannot see (contempt, for the appearance channel) gets a constant in place of that channel's log-probability,
absorbed into its bias ``b_c``: contempt is then judged by the geometric channel's evidence (one-sided smile, the
asymmetry part) against the other classes' combined evidence. Two weights and eight biases: small enough to be fitted
on a few hundred faces without learning the renders' quirks, and easy to read (how much each channel is trusted).

The parameters (:data:`PARAMETERS_PATH`, ``fusion.json``) are fitted by ``tools/fit_emotion_fusion.py`` on faces
neither channel was trained on (other identities, degraded on purpose: 48 px grey, blur, JPEG, occlusion, head turns)
by maximum likelihood; the temperature ``T`` (Guo, Pleiss, Sun & Weinberger 2017, "On Calibration of Modern Neural
Networks") on a second set of identities; accuracies and the expected calibration error on a third.

**How much each channel is trusted.** The fitting data are renders: the geometric model's own domain (it was
trained on renders) and far out of the appearance model's (trained on photos: 0.31 balanced accuracy there, it reads
most rendered expressions as neutral), while issue 17 measured the geometric model at 0.32 / 0.74 and the appearance
model at 0.65 / 0.58 on real photographs (in the wild / posed). The fit is constrained to
``w_appearance >= r * w_geometry``, ``r`` the largest of ``tools/fit_emotion_fusion.py``'s grid whose pooling beats
both channels alone on the calibration identities (``ratio`` in ``fusion.json``): **0.5** since the geometric channel
takes two looks at each face (:func:`~.classifier.mirror_mean`; on the held-out renders it went from 0.671 to 0.707
balanced accuracy, and no ``r`` of 0.75 or more still beats it there). It was 1 (fixed by hand: equal trust) with the
single look, when that still beat geometry on the renders. Renders cannot tell how the channels compare on photos;
the geometric channel's two looks make it less sure wherever MediaPipe only half sees the face (its ECE on the
held-out renders 0.114 -> 0.042), which is where photos differ from renders. Contempt, which only geometry sees,
keeps geometry's voice through its bias.

**Uncertain** (:func:`is_uncertain`), any of:

1. the calibrated top class is less than :data:`UNCERTAIN_MARGIN` ahead of the second;
2. *the pooled top class is no channel's top class* (:func:`no_channel_top`): the pool has landed on a compromise that
   neither channel reads, e.g. a resting stylised head the appearance channel reads neutral (0.91) and the geometric
   one happy (0.49, anger 0.47), pooled to anger by the biases. Parameter-free; on the held-out renders such labels
   are right 0.24-0.33 of the time against 0.83-0.86 for the other faces certain by the margin;
3. *no channel backs the pooled answer firmly*: the pooled top class gets less than ``min_support`` (``fusion.json``)
   from each channel (:func:`channel_support`: the largest probability either channel gives it). Disagreement
   between ensemble members as a signal of uncertainty (Lakshminarayanan, Pritzel & Blundell 2017); here the
   disagreement is measured where it matters, on the answer given. ``min_support`` is fitted by
   ``tools/fit_emotion_fusion.py`` on the fitting identities: the support at which a logistic regression of
   "the pooled label is right" on log-support (faces certain by tests 1 and 2) crosses 1/2, i.e. below it the label
   is more often wrong than right.

The label and the probabilities are still given; callers say "uncertain" and do not key an emotion from it.
"""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import InputError
from .presets import CATEGORIES

__all__ = [
    "ECE_BINS",
    "PARAMETERS_PATH",
    "PROBABILITY_FLOOR",
    "UNCERTAIN_MARGIN",
    "apply_temperature",
    "channel_support",
    "expected_calibration_error",
    "fit_pooling",
    "fit_temperature",
    "is_uncertain",
    "load_parameters",
    "no_channel_top",
    "pool",
    "save_parameters",
]

#: The fitted parameters (written by ``tools/fit_emotion_fusion.py fit --write``).
PARAMETERS_PATH = Path(__file__).with_name("fusion.json")
#: Smallest probability a channel's log-probability is taken at.
PROBABILITY_FLOOR = 1e-4
#: Bins of the expected calibration error (equal width on the top-class probability; Guo et al. 2017 use 15).
ECE_BINS = 15
#: A face is uncertain when its calibrated top probability is less than this ahead of the second (see
#: ``models/README.md`` for the accuracy of faces on either side of it).
UNCERTAIN_MARGIN = 0.2
_CONTEMPT = CATEGORIES.index("contempt")


def _log(p):
    return np.log(np.clip(np.asarray(p, np.float64), PROBABILITY_FLOOR, 1.0))


def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _logits(p_geometry, p_appearance, w_geometry, w_appearance, bias):
    la = _log(p_appearance)
    la[..., _CONTEMPT] = 0.0  # the appearance channel has no contempt: a constant, absorbed into the bias
    return w_geometry * _log(p_geometry) + w_appearance * la + np.asarray(bias, np.float64)


def pool(p_geometry, p_appearance, params):
    """Fused ``(N, 8) float64`` probabilities (before temperature) of two ``(N, 8)`` channel probabilities in
    :data:`CATEGORIES` order (the appearance channel's contempt column is ignored). ``params``: dict with
    ``w_geometry``, ``w_appearance`` (floats) and ``bias`` (8 floats)."""
    return _softmax(_logits(p_geometry, p_appearance, params["w_geometry"], params["w_appearance"], params["bias"]))


def apply_temperature(p, temperature):
    """``softmax(log p / T)``: probabilities ``(N, K)`` made less (T > 1) or more (T < 1) confident; argmax kept."""
    return _softmax(_log(p) / float(temperature))


def fit_pooling(p_geometry, p_appearance, labels, l2=1e-3, min_appearance_ratio=0.0):
    """Maximum-likelihood pooling parameters (dict for :func:`pool`) on ``(N, 8)`` probabilities and ``(N,)`` int
    labels (indices into :data:`CATEGORIES`); ``l2``: ridge on the biases (keeps a class with few faces finite).
    Weights are constrained: ``w_geometry >= 0`` and ``w_appearance >= min_appearance_ratio * w_geometry`` (0 leaves
    the appearance weight free; see the module docstring for why it is not). Method: L-BFGS-B (scipy) on
    ``(w_geometry, w_appearance - ratio * w_geometry, bias)``."""
    from scipy.optimize import minimize

    y = np.asarray(labels, np.int64)
    lg, la = _log(p_geometry), _log(p_appearance)
    la[:, _CONTEMPT] = 0.0
    onehot = np.eye(len(CATEGORIES))[y]

    ratio = float(min_appearance_ratio)

    def loss(theta):
        wg, wa, b = theta[0], ratio * theta[0] + theta[1], theta[2:]
        z = wg * lg + wa * la + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        p = np.exp(logp)
        n = len(y)
        value = -(onehot * logp).sum() / n + l2 * (b**2).sum()
        g = (p - onehot) / n
        grad = np.concatenate([[(g * lg).sum() + ratio * (g * la).sum(), (g * la).sum()], g.sum(axis=0) + 2 * l2 * b])
        return value, grad

    theta0 = np.concatenate([[0.5, 0.0], np.zeros(len(CATEGORIES))])
    bounds = [(0.0, None), (0.0, None)] + [(None, None)] * len(CATEGORIES)
    result = minimize(loss, theta0, jac=True, method="L-BFGS-B", bounds=bounds)
    return {
        "w_geometry": float(result.x[0]),
        "w_appearance": float(ratio * result.x[0] + result.x[1]),
        "bias": [float(v) for v in result.x[2:]],
    }


def fit_temperature(p, labels, bounds=(0.05, 20.0)):
    """The temperature (float within ``bounds``) minimising the negative log-likelihood of :func:`apply_temperature`
    on ``(N, K)`` probabilities and ``(N,)`` int labels (Guo et al. 2017). Method: bounded scalar search on log T."""
    from scipy.optimize import minimize_scalar

    logp, y = _log(p), np.asarray(labels, np.int64)

    def nll(log_t):
        z = logp / np.exp(log_t)
        z -= z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())

    low, high = np.log(bounds[0]), np.log(bounds[1])
    if low == high:
        return float(bounds[0])
    found = minimize_scalar(nll, bounds=(low, high), method="bounded").x
    # The bounded search never evaluates an end exactly: the lower bound is taken when it is the optimum.
    return float(np.exp(found if nll(found) < nll(low) else low))


def expected_calibration_error(p, labels, bins=ECE_BINS):
    """``(ece, table)``: the expected calibration error of ``(N, K)`` probabilities against ``(N,)`` int labels
    (top-class probability in ``bins`` equal-width bins; mean |accuracy - confidence| weighted by bin size), and the
    reliability table: per bin ``{"range", "count", "confidence", "accuracy"}``."""
    p = np.asarray(p, np.float64)
    conf, correct = p.max(axis=1), (p.argmax(axis=1) == np.asarray(labels)).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, bins - 1)
    ece, table = 0.0, []
    for b in range(bins):
        m = index == b
        n = int(m.sum())
        c, a = (float(conf[m].mean()), float(correct[m].mean())) if n else (0.0, 0.0)
        ece += n / max(len(conf), 1) * abs(a - c)
        table.append({"range": f"{edges[b]:.2f}-{edges[b + 1]:.2f}", "count": n, "confidence": c, "accuracy": a})
    return float(ece), table


def channel_support(p, channels):
    """``(N,) float64`` (or a float for one ``(K,)`` row): the largest probability any channel gives the pooled top
    class. ``p``: the pooled ``(N, K)`` probabilities; ``channels``: a sequence of ``(N, K)`` channel probabilities
    (the ones :func:`pool` was given)."""
    p = np.asarray(p, np.float64)
    top = p.argmax(axis=-1)[..., None]
    out = np.max([np.take_along_axis(np.asarray(c, np.float64), top, axis=-1)[..., 0] for c in channels], axis=0)
    return float(out) if out.ndim == 0 else out


def no_channel_top(p, channels):
    """``(N,) bool`` (or a bool for one ``(K,)`` row): the pooled top class of ``p`` (``(N, K)``) is the top class of
    none of ``channels`` (a sequence of ``(N, K)`` probabilities, the ones :func:`pool` was given): a compromise no
    channel reads."""
    top = np.asarray(p, np.float64).argmax(axis=-1)
    return np.all([np.asarray(c, np.float64).argmax(axis=-1) != top for c in channels], axis=0)


def is_uncertain(p, channels=None, min_support=None, margin=UNCERTAIN_MARGIN):
    """``(N,) bool`` (or a bool for one ``(K,)`` row): the face is *uncertain* (module docstring). ``p``: calibrated
    probabilities; uncertain when the top one is less than ``margin`` ahead of the second, or, given the pooled
    ``channels`` (sequence of ``(N, K)`` probabilities), when the top class is no channel's top class
    (:func:`no_channel_top`) or no channel gives it ``min_support`` (:func:`channel_support`; default: the fitted
    one, :func:`load_parameters`). Without ``channels`` (one classifier alone) only the margin applies."""
    p = np.asarray(p, np.float64)
    top2 = np.sort(p, axis=-1)[..., -2:]
    out = (top2[..., 1] - top2[..., 0]) < margin
    if channels is not None:
        min_support = load_parameters()["min_support"] if min_support is None else float(min_support)
        out = out | no_channel_top(p, channels) | (np.asarray(channel_support(p, channels)) < min_support)
    return bool(out) if out.ndim == 0 else out


def save_parameters(params, provenance, path=PARAMETERS_PATH):
    """Write fitted parameters (and where they came from) as JSON, atomically."""
    from ..io.atomic_io import atomic_write_text

    document = {
        "method": "weighted log-linear pooling + temperature (core/emotion/fusion.py)",
        "labels": list(CATEGORIES),
        **params,
        "fitted_on": provenance,
    }
    atomic_write_text(path, json.dumps(document, indent=1) + "\n")


@lru_cache(maxsize=None)
def load_parameters(path=PARAMETERS_PATH):
    """The fitted parameters: dict with ``w_geometry``, ``w_appearance``, ``bias`` (8), ``temperature``,
    ``min_support`` (:func:`is_uncertain`).
    Raises InputError when the file is missing or malformed."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        params = {
            "w_geometry": float(document["w_geometry"]),
            "w_appearance": float(document["w_appearance"]),
            "bias": [float(v) for v in document["bias"]],
            "temperature": float(document["temperature"]),
            "min_support": float(document["min_support"]),
        }
        if tuple(document["labels"]) != CATEGORIES or len(params["bias"]) != len(CATEGORIES):
            raise ValueError("labels")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"emotion fusion parameters {path} are missing or malformed ({exc}); rebuild them with "
            f"tools/fit_emotion_fusion.py fit --write"
        ) from exc
    return params
