"""Python's cycle collector around the shop's long batch work (a journal, the statements).

Such work makes hundreds of thousands of objects, none in a cycle, and the collector's full
passes walk every object of the process again and again as they pile up; reference counting
frees what is dropped meanwhile as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector paused for the block, and running again as soon as it ends (the peak
    memory is the same either way: what the block leaves behind is freed by counting)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextmanager
def older_objects_set_aside() -> Iterator[None]:
    """The objects that exist when the block begins (a parsed journal of millions) set
    aside from the collector's passes for the block (``gc.freeze``); the collector still
    runs on what the block makes, which may hold cycles (a database session's rows)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
