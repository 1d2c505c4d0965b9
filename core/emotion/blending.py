# SPDX-License-Identifier: GPL-3.0-or-later
"""Blending two emotions' ARKit weights: linear, or correlation-driven as in DBEX [Ma 2025].

[Ma 2025] (RESEARCH.md) blends a dominant expression E1 with E2 (w1 + w2 = 1) using statistics of a labelled set:

1. the Pearson correlation of every parameter with every emotion label (one-vs-rest indicator, 1 for the label's
   samples, 0 for the others);
2. per emotion, the ``k`` most correlated parameter indices (k = 16 in the paper): I_E1, I_E2, overlap
   I_o = I_E1 ∩ I_E2;
3. the rule::

       E[i] = w1·E1[i] + w2·E2[i]   for i in I_E1 \\ I_o
       E[i] = w2·E1[i] + w1·E2[i]   for i in I_E2 \\ I_o
       E[i] = (E1[i] + E2[i]) / 2   for i in I_o
       E[i] = w1·E1[i] + w2·E2[i]   elsewhere

   then clip to [Emin, Emax], the per-parameter range observed in the data (and, here, to [0, 1], the range of an
   ARKit weight). On I_E1 ∪ I_E2 the rule gives each emotion's own channels the weight w1 (the larger one when
   w1 > 0.5) whichever is E1, so swapping E1 and E2 (same w1) changes only the channels outside both index sets:
   with the shipped statistics (k = 16) the fear, surprise, sadness, disgust and anger prototypes lie wholly
   inside their sets, so their pairs blend the same in either order; joy, trust, anticipation and contempt reach
   outside theirs. Linear blending always depends on the order. ``tools/evaluate_emotion.py dyads`` measures what
   that does to recognition.

"Most correlated" is read as the largest ``|r|`` (``rank="absolute"``, the default); ``rank="positive"`` keeps
only the parameters that rise with the emotion. The paper works in a 16-component PCA space of its FLAME
parameters; ``space="pca"`` does the same here: the rule runs on the PCA coefficients (indices are components),
the blend is reconstructed, and the residual outside the PCA space (what the components do not hold) is blended
linearly. With the default ``space="arkit"`` the indices are ARKit channels.

The statistics live in a small versioned JSON file (:class:`BlendStats`, :func:`save_stats` / :func:`load_stats`);
the shipped one (``blend_stats.json`` beside this module, :func:`default_stats`) is rebuilt by
``tools/build_blend_stats.py`` from the synthetic training data's ARKit weights and labels.

``method="correlation_weighted"`` (:func:`blend_correlation_weighted`) is facemotion's variant of the rule, built
because the paper's rule measured less recognisable than linear blending here (``tools/evaluate_emotion.py
dyads``): it keeps [Ma 2025]'s per-emotion index sets from the same correlation statistics and the overlap
handling, but (1) keeps E1 dominant: on its own indices each emotion gets ``g = w / max(w1, w2)`` (the dominant
one at full strength, the other in proportion, so g1 : g2 = w1 : w2 whichever is E1) instead of the larger weight
for both; the overlap is the average weighted by ``w·r`` (each emotion's weight times its correlation with the
index) instead of the plain average; (2) each set holds only indices that rise with the emotion (r > 0), and
(3) its size follows the emotion's correlation mass (the fewest indices, most correlated first, holding
:data:`SALIENT_MASS` of the sum of r² over the positive indices, a left/right pair kept whole, at most ``k``)
instead of a fixed k, so a channel that merely moves with the emotion's noise is not boosted.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..arkit import ARKIT_NAMES
from ..errors import AssetError, InputError
from ..io.atomic_io import atomic_write_text

__all__ = [
    "DEFAULT_K",
    "FORMAT",
    "FORMAT_VERSION",
    "LABEL_ALIASES",
    "METHODS",
    "SALIENT_MASS",
    "STATS_PATH",
    "BlendStats",
    "blend",
    "blend_correlation",
    "blend_correlation_weighted",
    "blend_linear",
    "compute_stats",
    "default_stats",
    "load_stats",
    "pearson_by_label",
    "save_stats",
]

#: Default number of most-correlated indices per emotion ([Ma 2025]: 16).
DEFAULT_K = 16
#: ``format`` field of the statistics file, and its version (bumped when the layout changes).
FORMAT = "facemotion-blend-stats"
FORMAT_VERSION = 1
#: The shipped statistics file.
STATS_PATH = Path(__file__).with_name("blend_stats.json")
#: Blend methods accepted by :func:`blend`.
METHODS = ("correlation", "linear", "correlation_weighted")
#: Share of an emotion's positive correlation mass (sum of r² over the indices with r > 0) that its salient set
#: holds in :func:`blend_correlation_weighted`.
SALIENT_MASS = 0.9
#: Indices whose r is within this of the last one kept join the salient set too (left/right pairs stay whole).
_TIE = 0.02
#: Preset names that share another label's prototype (:mod:`.presets`): looked up under that label's statistics.
LABEL_ALIASES = {"joy": "happy", "sadness": "sad"}
_RANKS = ("absolute", "positive")
_SPACES = ("arkit", "pca")


@dataclass
class BlendStats:
    """Statistics of a labelled set of expression vectors for [Ma 2025]'s blend.

    ``labels``: tuple of L emotion names. ``correlation``: ``(L, D) float64`` Pearson r of each index with each
    label (0 where an index or the label does not vary). ``top``: label -> ``(k,) int`` indices, most correlated
    first. ``emin``/``emax``: ``(52,) float64`` per-ARKit-parameter range in the data. ``k``, ``space`` ("arkit":
    D = 52 channels; "pca": D = components), ``rank`` ("absolute"/"positive"). ``pca_mean (52,)`` and
    ``pca_components (D, 52)`` (orthonormal rows) when ``space == "pca"``, else None. ``source``: a JSON-able dict
    saying where the data came from (generator version, seed, counts...).
    """

    labels: tuple
    correlation: np.ndarray
    top: dict
    emin: np.ndarray
    emax: np.ndarray
    k: int = DEFAULT_K
    space: str = "arkit"
    rank: str = "absolute"
    pca_mean: np.ndarray = None
    pca_components: np.ndarray = None
    source: dict = field(default_factory=dict)

    def indices(self, label):
        """The top-k indices of ``label`` (preset name; ``joy``/``sadness`` use ``happy``/``sad``): ``(k,) int``.
        Raises InputError: label not in the statistics (lists the labels it has)."""
        key = LABEL_ALIASES.get(label, label)
        if key not in self.top:
            raise InputError(
                f"no blend statistics for emotion {label!r}; the statistics have: "
                f"{', '.join(self.labels)} (rebuild them with tools/build_blend_stats.py)"
            )
        return self.top[key]

    def salient(self, label, mass=SALIENT_MASS):
        """The salient set of ``label`` for :func:`blend_correlation_weighted`: ``(indices (m,) int64, r (m,)
        float64)``, most correlated first. The indices with r > 0, fewest first such that their r² sums to at least
        ``mass`` (in (0, 1]) of the total over r > 0; an index whose r is within 0.02 of the last one kept joins
        too (a left/right ARKit pair has equal r and is kept whole); at most :attr:`k` (plus such ties); empty when
        no index rises with the label. Raises InputError: unknown label (as :meth:`indices`), mass outside (0, 1]."""
        if not 0.0 < float(mass) <= 1.0:
            raise InputError(f"salient mass must be in (0, 1], got {mass!r}")
        self.indices(label)
        r = self.correlation[self.labels.index(LABEL_ALIASES.get(label, label))]
        order = np.argsort(-r, kind="stable")
        order = order[r[order] > 0.0]
        if not len(order):
            return np.zeros(0, np.int64), np.zeros(0)
        share = np.cumsum(r[order] ** 2) / np.sum(r[order] ** 2)
        m = min(int(np.searchsorted(share, float(mass) - 1e-12)) + 1, self.k, len(order))
        m += int(np.sum(r[order[m:]] >= r[order[m - 1]] - _TIE))
        keep = order[:m]
        return keep.astype(np.int64), r[keep]

    def to_dict(self):
        """A JSON-able dict (floats rounded to 6 decimals) in the file layout of :func:`save_stats`."""

        def r(a):
            return np.round(np.asarray(a, np.float64), 6).tolist()

        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "arkit_names": list(ARKIT_NAMES),
            "labels": list(self.labels),
            "k": int(self.k),
            "space": self.space,
            "rank": self.rank,
            "top_indices": {label: [int(i) for i in self.top[label]] for label in self.labels},
            "emin": r(self.emin),
            "emax": r(self.emax),
            "correlation": r(self.correlation),
            "pca": None if self.space != "pca" else {"mean": r(self.pca_mean), "components": r(self.pca_components)},
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`. Raises InputError: wrong format/version, other ARKit names, bad shapes."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"not a blend statistics file (expected format {FORMAT!r})")
        if data.get("version") != FORMAT_VERSION:
            raise InputError(
                f"blend statistics version {data.get('version')!r} is not supported "
                f"(this facemotion reads version {FORMAT_VERSION}); rebuild with tools/build_blend_stats.py"
            )
        if data.get("arkit_names") != list(ARKIT_NAMES):
            raise InputError("blend statistics were built for other ARKit channel names; rebuild them")
        try:
            labels = tuple(data["labels"])
            correlation = np.asarray(data["correlation"], np.float64)
            space = data["space"]
            pca = data.get("pca")
            stats = cls(
                labels=labels,
                correlation=correlation,
                top={label: np.asarray(data["top_indices"][label], np.int64) for label in labels},
                emin=np.asarray(data["emin"], np.float64),
                emax=np.asarray(data["emax"], np.float64),
                k=int(data["k"]),
                space=space,
                rank=data["rank"],
                pca_mean=None if pca is None else np.asarray(pca["mean"], np.float64),
                pca_components=None if pca is None else np.asarray(pca["components"], np.float64),
                source=dict(data.get("source") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"blend statistics file is incomplete or malformed: {exc}") from None
        dims = (
            len(ARKIT_NAMES)
            if space == "arkit"
            else (0 if stats.pca_components is None else stats.pca_components.shape[0])
        )
        if (
            correlation.shape != (len(labels), dims)
            or stats.emin.shape != (len(ARKIT_NAMES),)
            or stats.emax.shape != (len(ARKIT_NAMES),)
            or space not in _SPACES
            or any(len(t) != stats.k or (len(t) and (t.min() < 0 or t.max() >= dims)) for t in stats.top.values())
        ):
            raise InputError("blend statistics file has inconsistent shapes; rebuild it")
        return stats


def _check_weights(array, what, ndim):
    try:
        a = np.asarray(array, np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers") from None
    if a.ndim != ndim or a.shape[-1] != len(ARKIT_NAMES):
        want = "(52,)" if ndim == 1 else "(N, 52)"
        raise InputError(f"{what} must have shape {want} (ARKit weights), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise InputError(f"{what} holds non-finite values")
    return a


def pearson_by_label(values, labels, label_names):
    """Pearson correlation of every column of ``values (N, D)`` with each label's one-vs-rest indicator.

    ``labels (N,)`` str; ``label_names``: the L labels, in output order. Returns ``(L, D) float64``, 0 where a
    column or an indicator is constant (r undefined). Method: r = cov(x, y) / (std x · std y), population moments.
    """
    x = np.asarray(values, np.float64)
    labels = np.asarray(labels)
    xc = x - x.mean(axis=0)
    sx = np.sqrt((xc**2).mean(axis=0))
    out = np.zeros((len(label_names), x.shape[1]))
    for row, name in enumerate(label_names):
        y = (labels == name).astype(np.float64)
        yc = y - y.mean()
        sy = np.sqrt((yc**2).mean())
        denom = sx * sy
        cov = (xc * yc[:, None]).mean(axis=0)
        out[row] = np.divide(cov, denom, out=np.zeros_like(cov), where=denom > 1e-12)
    return out


def compute_stats(weights, labels, *, k=DEFAULT_K, space="arkit", n_components=16, rank="absolute", source=None):
    """Build :class:`BlendStats` from a labelled set.

    ``weights``: ``(N, 52)`` ARKit weights (any float dtype), N >= 2. ``labels``: ``(N,)`` emotion names (str),
    at least two distinct. ``k``: indices kept per label (1 <= k <= D; [Ma 2025]: 16). ``space``: "arkit" or
    "pca" (PCA by SVD of the centred weights, ``n_components`` rows; k must then be < n_components for the index
    sets to differ). ``rank``: "absolute" (largest |r|) or "positive" (largest r). Ties are broken by the lower
    index (stable sort), so the result is deterministic. ``source``: dict stored as is.

    Returns BlendStats. Raises InputError: bad shapes, non-finite values, fewer than two labels, k out of range,
    unknown space or rank.
    """
    x = _check_weights(weights, "weights", 2)
    labels = np.asarray([str(v) for v in np.asarray(labels).ravel()])
    if len(labels) != len(x) or len(x) < 2:
        raise InputError(f"need N >= 2 weight rows and as many labels, got {len(x)} rows and {len(labels)} labels")
    names = tuple(dict.fromkeys(labels.tolist()))
    if len(names) < 2:
        raise InputError("need at least two distinct labels to correlate parameters with emotions")
    if space not in _SPACES:
        raise InputError(f"unknown space {space!r}; use one of: {', '.join(_SPACES)}")
    if rank not in _RANKS:
        raise InputError(f"unknown rank {rank!r}; use one of: {', '.join(_RANKS)}")
    mean = components = None
    values = x
    if space == "pca":
        if not 1 <= int(n_components) <= min(x.shape):
            raise InputError(f"n_components must be in [1, {min(x.shape)}], got {n_components!r}")
        mean = x.mean(axis=0)
        _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
        components = vt[: int(n_components)]
        # SVD signs are arbitrary: make each component's largest-magnitude entry positive (deterministic output).
        signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
        components = components * signs[:, None]
        values = (x - mean) @ components.T
    dims = values.shape[1]
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= dims:
        raise InputError(f"k must be an integer in [1, {dims}], got {k!r}")
    correlation = pearson_by_label(values, labels, names)
    score = np.abs(correlation) if rank == "absolute" else correlation
    top = {name: np.argsort(-score[row], kind="stable")[:k].astype(np.int64) for row, name in enumerate(names)}
    return BlendStats(
        labels=names,
        correlation=correlation,
        top=top,
        emin=x.min(axis=0),
        emax=x.max(axis=0),
        k=int(k),
        space=space,
        rank=rank,
        pca_mean=mean,
        pca_components=components,
        source=dict(source or {}),
    )


def save_stats(stats, path):
    """Write ``stats`` as JSON to ``path`` atomically (:mod:`facemotion.core.io.atomic_io`); returns Path."""
    text = json.dumps(stats.to_dict(), indent=1, sort_keys=True) + "\n"
    return atomic_write_text(path, text)


def load_stats(path):
    """Read a statistics file written by :func:`save_stats`. Raises AssetError: missing/unreadable file or not
    JSON; InputError: wrong format/version or inconsistent content (see :meth:`BlendStats.from_dict`)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssetError(
            f"blend statistics file {path} is missing; rebuild it with tools/build_blend_stats.py"
        ) from None
    except (OSError, ValueError) as exc:
        raise AssetError(f"cannot read blend statistics {path}: {exc}") from None
    return BlendStats.from_dict(data)


_default = {}


def default_stats():
    """The shipped statistics (:data:`STATS_PATH`), loaded once. Raises AssetError / InputError as load_stats."""
    if "stats" not in _default:
        _default["stats"] = load_stats(STATS_PATH)
    return _default["stats"]


def _weights_pair(w1, w2):
    try:
        w1 = float(w1)
    except (TypeError, ValueError):
        raise InputError(f"blend weight w1 must be a number in [0, 1], got {w1!r}") from None
    if not np.isfinite(w1) or not 0.0 <= w1 <= 1.0:
        raise InputError(f"blend weight w1 {w1!r} is outside [0, 1]")
    if w2 is None:
        return w1, 1.0 - w1
    w2 = float(w2)
    if not np.isfinite(w2) or abs(w1 + w2 - 1.0) > 1e-6:
        raise InputError(f"blend weights must sum to 1 (w1 + w2 = 1), got w1={w1:g}, w2={w2:g}")
    return w1, w2


def blend_linear(e1, e2, w1, w2=None):
    """Linear blend ``w1·e1 + w2·e2`` (w2 = 1 - w1), clipped to [0, 1].

    ``e1``, ``e2``: ``(52,)`` ARKit weights. Returns ``(52,) float32``. Raises InputError: bad shapes or values,
    w1 outside [0, 1], w1 + w2 != 1.
    """
    a, b = _check_weights(e1, "e1", 1), _check_weights(e2, "e2", 1)
    w1, w2 = _weights_pair(w1, w2)
    return np.clip(w1 * a + w2 * b, 0.0, 1.0).astype(np.float32)


def _rule(a, b, w1, w2, i1, i2):
    """[Ma 2025]'s rule on vectors a (E1), b (E2) with index sets i1, i2 (arrays of indices)."""
    i1, i2 = set(int(i) for i in i1), set(int(i) for i in i2)
    overlap = i1 & i2
    out = w1 * a + w2 * b  # elsewhere, and I_E1 \ I_o
    only2 = np.fromiter(sorted(i2 - overlap), np.int64)
    both = np.fromiter(sorted(overlap), np.int64)
    out[only2] = w2 * a[only2] + w1 * b[only2]  # I_E2 \ I_o: E2 gets w1
    out[both] = 0.5 * (a[both] + b[both])  # I_o: averaged
    return out


def _in_space(stats, a, b, w1, w2, rule):
    """Apply ``rule(x1, x2) -> x`` (a blend rule on two vectors) in the statistics' space: on ARKit weights, or on
    the PCA coefficients with the residual outside the PCA space blended linearly. Returns ``(52,) float32``
    clipped to [Emin, Emax] and [0, 1]."""
    if stats.space == "pca":
        c = stats.pca_components
        ca, cb = (a - stats.pca_mean) @ c.T, (b - stats.pca_mean) @ c.T
        ra, rb = a - stats.pca_mean - ca @ c, b - stats.pca_mean - cb @ c
        out = stats.pca_mean + rule(ca, cb) @ c + (w1 * ra + w2 * rb)
    else:
        out = rule(a, b)
    out = np.clip(out, stats.emin, stats.emax)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def blend_correlation(e1, e2, label1, label2, w1, w2=None, stats=None):
    """[Ma 2025]'s correlation-driven blend of E1 (dominant) and E2 (see the module docstring for the rule).

    ``e1``, ``e2``: ``(52,)`` ARKit weights of the two emotions; ``label1``, ``label2``: their emotion names in
    ``stats`` (preset names; ``joy``/``sadness`` are looked up as ``happy``/``sad``). ``w1``: weight of E1 in
    [0, 1]; ``w2`` (optional) must equal 1 - w1. ``stats``: :class:`BlendStats` (default :func:`default_stats`).
    With ``stats.space == "pca"`` the rule runs on PCA coefficients and the residual is blended linearly.
    Returns ``(52,) float32`` clipped to [Emin, Emax] and [0, 1].
    Raises InputError: bad shapes/values, weights, or a label without statistics.
    """
    a, b = _check_weights(e1, "e1", 1), _check_weights(e2, "e2", 1)
    w1, w2 = _weights_pair(w1, w2)
    stats = default_stats() if stats is None else stats
    i1, i2 = stats.indices(label1), stats.indices(label2)
    return _in_space(stats, a, b, w1, w2, lambda x, y: _rule(x, y, w1, w2, i1, i2))


def _weighted_rule(a, b, w1, w2, s1, s2):
    """:func:`blend_correlation_weighted`'s rule on vectors a (E1), b (E2) with salient sets s1, s2 = (indices, r)."""
    top = max(w1, w2)
    g1, g2 = (w1 / top, w2 / top) if top > 0 else (0.0, 0.0)
    r1, r2 = dict(zip(s1[0].tolist(), s1[1].tolist())), dict(zip(s2[0].tolist(), s2[1].tolist()))
    out = w1 * a + w2 * b  # elsewhere: linear
    for i in set(r1) - set(r2):
        out[i] = g1 * a[i] + w2 * b[i]  # E1's own: E1 at g1, E2 at its linear share
    for i in set(r2) - set(r1):
        out[i] = w1 * a[i] + g2 * b[i]  # E2's own: E2 at g2 (< g1 when E1 dominates)
    for i in set(r1) & set(r2):
        u, v = w1 * r1[i], w2 * r2[i]  # overlap: the w·r-weighted average of g·E
        out[i] = (u * g1 * a[i] + v * g2 * b[i]) / (u + v) if u + v > 0 else 0.0
    return out


def blend_correlation_weighted(e1, e2, label1, label2, w1, w2=None, stats=None, mass=SALIENT_MASS):
    """facemotion's dominance-keeping variant of [Ma 2025]'s rule (module docstring): E1 (dominant) and E2.

    With ``g1 = w1 / max(w1, w2)``, ``g2 = w2 / max(w1, w2)`` and the salient sets S1, S2 (:meth:`BlendStats.salient`,
    indices with r > 0 holding ``mass`` of the r² mass, r1/r2 their correlations)::

        E[i] = g1·E1[i] + w2·E2[i]                                   for i in S1 \\ S2
        E[i] = w1·E1[i] + g2·E2[i]                                   for i in S2 \\ S1
        E[i] = (w1·r1[i]·g1·E1[i] + w2·r2[i]·g2·E2[i]) / (w1·r1[i] + w2·r2[i])   for i in S1 ∩ S2
        E[i] = w1·E1[i] + w2·E2[i]                                   elsewhere

    then clipped to [Emin, Emax] and [0, 1] as :func:`blend_correlation`. Swapping E1 and E2 (same w1 != 0.5)
    changes the result on both salient sets; ``w1 = 1`` gives E1 exactly (g2 = w2 = 0; [Ma 2025]'s rule would put
    E2 on its indices and average the overlap), ``w1 = 0.5`` both at full strength on their own sets. Arguments,
    ``stats.space == "pca"`` handling, return value and errors as :func:`blend_correlation`;
    ``mass`` in (0, 1] (InputError otherwise).
    """
    a, b = _check_weights(e1, "e1", 1), _check_weights(e2, "e2", 1)
    w1, w2 = _weights_pair(w1, w2)
    stats = default_stats() if stats is None else stats
    s1, s2 = stats.salient(label1, mass), stats.salient(label2, mass)
    return _in_space(stats, a, b, w1, w2, lambda x, y: _weighted_rule(x, y, w1, w2, s1, s2))


def blend(e1, e2, label1, label2, w1, *, method="correlation", stats=None):
    """Blend by ``method`` ("correlation": :func:`blend_correlation`; "linear": :func:`blend_linear`, labels
    unused; "correlation_weighted": :func:`blend_correlation_weighted`). Returns ``(52,) float32``. Raises
    InputError: unknown method (lists them) and as the methods do."""
    if method == "linear":
        return blend_linear(e1, e2, w1)
    if method == "correlation":
        return blend_correlation(e1, e2, label1, label2, w1, stats=stats)
    if method == "correlation_weighted":
        return blend_correlation_weighted(e1, e2, label1, label2, w1, stats=stats)
    raise InputError(f"unknown blend method {method!r}; use one of: {', '.join(METHODS)}")
