# SPDX-License-Identifier: GPL-3.0-or-later
"""Files: the one asset locator (:mod:`.assets`), atomic writes (:mod:`.atomic_io`), mesh and image readers
(:mod:`.mesh_io`, :mod:`.image_io`)."""
