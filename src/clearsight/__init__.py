"""clearsight: accountable face recognition for CCTV.

Importing this package does no work: models load when first used.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
