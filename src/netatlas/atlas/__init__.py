"""Merge a bundle's evidence into one atlas (see :func:`build_atlas`)."""

from netatlas.atlas.merge import build_atlas

__all__ = ["build_atlas"]
