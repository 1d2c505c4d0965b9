# SPDX-License-Identifier: GPL-3.0-or-later
"""Animate: emotion timelines baked to per-frame ARKit weights (:mod:`.timeline`)."""
