# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure numpy/scipy core of facemotion. Never imports bpy: every module takes and returns arrays and plain data."""
