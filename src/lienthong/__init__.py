"""Lienthong: provincial data integration and sharing platform (*liên thông*)."""

import os

# Polars' allocator (jemalloc) keeps freed pages for ten seconds by default: an ingest frees
# a chunk's worth every second or so, and the pages it kept doubled its memory. Read when
# Polars loads, so this takes effect in processes that import lienthong first (its commands
# and server); a value set by the operator wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

__version__ = "0.1.0"

__all__ = ["__version__"]
