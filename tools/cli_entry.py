"""Run the facemotion CLI from a checkout with Blender as the bpy module (what ``./facemotion`` calls)."""
import sys

from package_path import import_facemotion

if __name__ == "__main__":
    import_facemotion()
    import bpy  # noqa: F401  (import before the add-on modules: they need it)

    from facemotion.facemotion_addon.cli import main
    sys.exit(main(sys.argv[1:]))
