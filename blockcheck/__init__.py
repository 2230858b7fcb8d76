"""blockcheck: block health checks and the eight lists of Beijing's urban-renewal method."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
