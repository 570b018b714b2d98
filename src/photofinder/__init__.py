"""photofinder: find photos by what is in them, locally and offline.

The core (this package and ``photofinder.indexing``) never imports Qt; the
window in ``photofinder.ui`` is a thin layer over it, like the CLI and the API.
"""

__version__ = "0.1.0"
