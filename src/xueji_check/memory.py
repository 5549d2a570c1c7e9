"""Hand freed heap memory back to the operating system.

calamine (through fastexcel) parses a workbook into millions of small allocations on glibc's
heap; when the sheet has been turned into a Polars frame they are freed, but glibc keeps the
pages (about 0.85 GB after reading a 1M-row roster and a 1M-row aid workbook). `malloc_trim`
returns them, so the later stages start from the live data, not from the reader's high-water
mark. Elsewhere (macOS, Windows, musl) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache


@cache
def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def release_free_memory() -> bool:
    """Return freed heap pages to the OS; True when it could be asked to."""
    fn = _trim()
    if fn is None:
        return False
    fn(0)
    return True
