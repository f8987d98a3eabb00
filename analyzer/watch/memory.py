"""Keeping the memory of a process that runs for days flat: `watch` evaluates every few
seconds, and each iteration builds pandas frames, Arrow tables and a snapshot that refer
to each other in cycles. Freed only by the cyclic collector's later generations, they
pile up for minutes; and the allocators keep the pages of what was freed (glibc's
arenas, Arrow's jemalloc/mimalloc pool), so RSS follows the highest iteration seen and
creeps up with each busier one.

`settle_allocators` once at the start: Arrow allocates through the system allocator, so
its freed buffers go back to the one heap `release_freed` trims. `release_freed` after
each iteration: collect the cycles (their snapshots' files close with them), then hand
the free pages back to the system (glibc's `malloc_trim`; elsewhere a no-op).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from functools import cache


def settle_allocators() -> str:
    """Route Arrow's allocations through the system allocator (once, at the start of a
    long run); returns the backend now in use."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    return pa.default_memory_pool().backend_name


def release_freed() -> None:
    """Free what the last iteration left in reference cycles and return the allocator's
    free pages to the system (about 30 ms on a watch's heap)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None (another C library, another system)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim
