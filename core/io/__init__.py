# SPDX-License-Identifier: GPL-3.0-or-later
"""Files: the one asset locator (:mod:`.assets`), atomic writes (:mod:`.atomic_io`), mesh and image readers
(:mod:`.mesh_io`, :mod:`.image_io`), the batch's plan (:mod:`.batch_plan`) and the export options table
(:mod:`.export_options`)."""
