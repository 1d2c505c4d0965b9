# SPDX-License-Identifier: GPL-3.0-or-later
"""Speech to a talking face: audio in, phones (pocketsphinx), visemes, ARKit lower-face curves with
coarticulation, and an emotion layered on top by region [ECAvatar 2024]. numpy/scipy only, no bpy."""
