# SPDX-License-Identifier: GPL-3.0-or-later
"""Performance capture: frames (:mod:`.sources`) tracked by MediaPipe (:mod:`.tracking`), solved into ARKit weights
(:mod:`.solve`), cleaned (:mod:`.timing`, :mod:`.calibration`, :mod:`.one_euro`) into a :class:`.take.Take`
(:mod:`.capture`); Live Link Face CSV takes read and written by :mod:`.live_link`."""
