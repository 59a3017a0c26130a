"""Month-end stages build hundreds of thousands of short-lived, acyclic objects (rows, lines,
quotes). Reference counting frees them; the cyclic collector only adds full passes over the
whole process heap (Dagster's included) as they pile up, which cost up to a fifth of a stage.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (refcounting goes on); cycles made
    meanwhile are collected once it ends. Nested use keeps it paused until the outermost ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
