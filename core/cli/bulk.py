"""Process-wide tuning for bulk CLI commands, which own their whole process.

Python's garbage collector is one per process: pausing it pauses it for every thread. A web
process (which runs imports in a background thread) and `payvand worker` must never do that,
so the importers leave it alone and only a command that owns its process, such as `payvand
import customers`, pauses it here, around the one call that does the bulk work.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator

__all__ = ["paused_gc"]


@contextlib.contextmanager
def paused_gc() -> Iterator[Callable[[], None]]:
    """Run the cyclic garbage collector once per batch instead of every 700 allocations.

    A bulk import creates millions of short-lived containers and holds a few large ones (the
    key index, name caches); with the default thresholds the collector keeps re-traversing
    them (about a fifth of the import's CPU time, `benchmarks/import_customers.py`). Inside
    the block, everything alive before it is frozen (`gc.freeze()`) and automatic collection
    is off; the block calls the function it is given after each batch, which collects the
    young generations, so cyclic garbage still goes, batch by batch. Both are undone on exit.
    """
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield _collect_young
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _collect_young() -> None:
    """Collect the young generations (between batches, while `paused_gc` is open)."""
    gc.collect(1)
