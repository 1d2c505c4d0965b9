# SPDX-License-Identifier: GPL-3.0-or-later
"""Phonemes -> the 15 Oculus/Meta visemes -> ARKit lower-face weights: the data tables lip sync is built from.

Visemes (:data:`VISEMES`): the set of Meta's Oculus Lipsync ("Viseme Reference", Meta developer documentation,
Oculus Lipsync for Unity), which game engines and avatar SDKs (Ready Player Me, VRChat, Unity/Unreal plug-ins)
expect as shape keys ``viseme_sil, viseme_PP, ...``. Its reference words: PP *p*ut *b*at *m*at, FF *f*at *v*at,
TH *th*ink *th*at, DD *t*ip *d*oll, kk *c*all *g*as, CH *ch*air *j*oin *sh*e, SS *s*ir *z*eal, nn *l*ot *n*ot,
RR *r*ed, aa c*a*r, E b*e*d, I t*i*p, O t*o*e, U b*oo*k.

Phonemes (:data:`PHONEME_VISEMES`): the 39 ARPAbet phones of the CMU Pronouncing Dictionary (what pocketsphinx's
en-US model outputs) assigned to those visemes by the reference words above; phones the reference does not list
follow their place of articulation: NG (velar) -> kk, HH -> kk (open, breathy; its low dominance lets the next
vowel shape the lips), Y -> I, W -> U, ER -> RR, diphthongs by their first, longer part (AY, AW -> aa; EY -> E;
OY, OW -> O), AH (schwa/strut) -> aa, AE -> aa.

Weights (:data:`VISEME_ARKIT`): what each viseme does in ARKit blendshapes (Apple, ``ARFaceAnchor.
BlendShapeLocation``): ``jawOpen`` opens the jaw; ``mouthClose`` closes the lips *against* an open jaw (so lips
are sealed when mouthClose = jawOpen); ``mouthFunnel`` (lips forward and apart, "oo" of "who"), ``mouthPucker``
(lips forward and together, "u" of "you"), ``mouthStretch*`` (corners pulled back, "ee"), ``mouthRoll*`` (lips
rolled in: the lower lip under the upper teeth of f/v), ``mouthPress*`` (lips pressed, bilabial closures),
``mouthShrug*`` (lips raised: ch/sh), ``tongueOut`` (the tongue tip between the teeth of th). The numbers are ours,
set by looking at Meta's viseme reference images on ARKit-named heads (ICT-FaceKit); they are a starting point a
user may edit, not measurements. Bilabials close fully (PP: ``mouthClose`` = ``jawOpen``, lips pressed); silence
rests with the jaw closed.

Dominance (:data:`VISEME_DOMINANCE`): how strongly a viseme holds its shape against its neighbours in the
coarticulation model (:mod:`facemotion.core.speech.lipsync`, after Cohen & Massaro 1993): visible lip gestures
(PP, FF, U, O) dominate, tongue-only consonants (DD, kk, nn) let the neighbouring vowels shape the lips ("t" in
"two" is already rounded).
"""

import numpy as np

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..errors import InputError

__all__ = [
    "LIP_CHANNELS",
    "PHONEME_VISEMES",
    "VISEMES",
    "VISEME_ARKIT",
    "VISEME_DOMINANCE",
    "VISEME_INDEX",
    "VISEME_KEY_NAMES",
    "viseme_deltas",
    "viseme_matrix",
    "viseme_of",
]

#: The 15 Oculus/Meta visemes, in their documented order.
VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U")
VISEME_INDEX = {name: i for i, name in enumerate(VISEMES)}
#: Shape key names of the visemes, as Ready Player Me / VRChat / Oculus Lipsync rigs name them.
VISEME_KEY_NAMES = tuple(f"viseme_{name}" for name in VISEMES)

#: ARPAbet (CMU dictionary) phone -> viseme. ``SIL`` and fillers (``+NSN+``, ``+SPN+``...) are silence.
PHONEME_VISEMES = {
    "P": "PP",
    "B": "PP",
    "M": "PP",
    "F": "FF",
    "V": "FF",
    "TH": "TH",
    "DH": "TH",
    "T": "DD",
    "D": "DD",
    "K": "kk",
    "G": "kk",
    "NG": "kk",
    "HH": "kk",
    "CH": "CH",
    "JH": "CH",
    "SH": "CH",
    "ZH": "CH",
    "S": "SS",
    "Z": "SS",
    "N": "nn",
    "L": "nn",
    "R": "RR",
    "ER": "RR",
    "AA": "aa",
    "AE": "aa",
    "AH": "aa",
    "AY": "aa",
    "AW": "aa",
    "EH": "E",
    "EY": "E",
    "IH": "I",
    "IY": "I",
    "Y": "I",
    "AO": "O",
    "OW": "O",
    "OY": "O",
    "UH": "U",
    "UW": "U",
    "W": "U",
    "SIL": "sil",
}


def _both(name, value):
    return {name + "Left": value, name + "Right": value}


#: Viseme -> ARKit weights (names not listed are 0). Sources and meaning in the module docstring.
VISEME_ARKIT = {
    "sil": {},
    "PP": {
        "jawOpen": 0.06,
        "mouthClose": 0.06,
        **_both("mouthPress", 0.6),
        "mouthRollLower": 0.15,
        "mouthRollUpper": 0.1,
    },
    "FF": {"jawOpen": 0.1, "mouthRollLower": 0.6, "mouthShrugUpper": 0.2, "mouthClose": 0.05},
    "TH": {"jawOpen": 0.18, "tongueOut": 0.4, **_both("mouthStretch", 0.1)},
    "DD": {"jawOpen": 0.2, **_both("mouthStretch", 0.15), "mouthShrugUpper": 0.1},
    "kk": {"jawOpen": 0.28, **_both("mouthStretch", 0.15)},
    "CH": {"jawOpen": 0.15, "mouthFunnel": 0.5, "mouthPucker": 0.25, "mouthShrugUpper": 0.3, "mouthShrugLower": 0.2},
    "SS": {"jawOpen": 0.08, **_both("mouthStretch", 0.35)},
    "nn": {"jawOpen": 0.18, **_both("mouthStretch", 0.1)},
    "RR": {"jawOpen": 0.15, "mouthFunnel": 0.35, "mouthPucker": 0.35},
    "aa": {"jawOpen": 0.65, **_both("mouthStretch", 0.1)},
    "E": {"jawOpen": 0.4, **_both("mouthStretch", 0.35)},
    "I": {"jawOpen": 0.2, **_both("mouthStretch", 0.5)},
    "O": {"jawOpen": 0.45, "mouthFunnel": 0.6, "mouthPucker": 0.2},
    "U": {"jawOpen": 0.2, "mouthPucker": 0.75, "mouthFunnel": 0.35},
}

#: Viseme -> dominance in the coarticulation model (module docstring).
VISEME_DOMINANCE = {
    "sil": 0.5,
    "PP": 1.0,
    "FF": 0.9,
    "TH": 0.6,
    "DD": 0.3,
    "kk": 0.25,
    "CH": 0.8,
    "SS": 0.5,
    "nn": 0.3,
    "RR": 0.6,
    "aa": 0.7,
    "E": 0.7,
    "I": 0.7,
    "O": 0.85,
    "U": 0.9,
}

#: The ARKit channels lip sync drives (every name any viseme uses, plus their other side).
LIP_CHANNELS = tuple(
    name
    for name in ARKIT_NAMES
    if name in ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "tongueOut")
    or name.startswith(("mouthStretch", "mouthRoll", "mouthPress", "mouthShrug"))
)


def viseme_matrix():
    """The table as a matrix: ``(15, 52) float32``, row v = ARKit weights of ``VISEMES[v]`` (ARKit order)."""
    out = np.zeros((len(VISEMES), len(ARKIT_NAMES)), np.float32)
    for row, name in enumerate(VISEMES):
        for channel, value in VISEME_ARKIT[name].items():
            out[row, ARKIT_INDEX[channel]] = value
    return out


def viseme_of(phone, extra=None):
    """The viseme of a recogniser phone: ARPAbet via :data:`PHONEME_VISEMES`, then ``extra`` (a model's own
    ``{phone: viseme}``), fillers and anything unknown -> ``None`` (the caller treats it as silence and notes it).
    ``phone``: str. Returns a name of :data:`VISEMES` or None."""
    key = phone.upper()
    if key in PHONEME_VISEMES:
        return PHONEME_VISEMES[key]
    if extra and phone in extra and extra[phone] in VISEME_INDEX:
        return extra[phone]
    return None


def viseme_deltas(arkit_deltas, names):
    """Viseme shape keys built from a rig's ARKit shape keys: ``viseme_v = sum_c VISEME_ARKIT[v][c] * delta_c``
    (shape keys add linearly, so posing ``viseme_v`` at 1 is posing its ARKit weights).

    ``arkit_deltas``: ``(K, n_vertices, 3)`` float offsets from the Basis; ``names``: the K ARKit names they belong
    to (a rig may lack some, e.g. ``tongueOut``). Returns ``(deltas (15, n_vertices, 3) float32 in VISEMES order,
    missing: tuple of ARKit names the table uses that ``names`` lacks)``. Raises InputError: shapes disagree.
    """
    arkit_deltas = np.asarray(arkit_deltas, np.float32)
    names = [str(n) for n in names]
    if arkit_deltas.ndim != 3 or arkit_deltas.shape[0] != len(names) or arkit_deltas.shape[2] != 3:
        raise InputError(f"ARKit deltas must be (len(names)={len(names)}, n_vertices, 3), got {arkit_deltas.shape}")
    columns = [ARKIT_INDEX.get(n) for n in names]
    present = [i for i, c in enumerate(columns) if c is not None]
    used = {c for row in VISEME_ARKIT.values() for c in row}
    missing = tuple(n for n in ARKIT_NAMES if n in used and n not in names)
    weights = viseme_matrix()[:, [columns[i] for i in present]]
    return np.einsum("vk,knd->vnd", weights, arkit_deltas[present]).astype(np.float32), missing
