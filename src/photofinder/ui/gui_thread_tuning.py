"""CPython settings for a GUI thread that shares the interpreter with busy workers.

Two things in CPython stall the window while no Python code of ours runs on its
thread (a stack sampler sees it inside Qt, with no Python frame):

- The GIL. Every call from Qt into Python (a paint, a slot, a timer) must take
  it back from whichever worker holds it, and the holder is asked to let go only
  after the switch interval, 5 ms by default; with two busy workers the GUI
  thread lost that race for seconds at a time. At 1 ms the waits stay short.
- The cyclic garbage collector. A full collection walks every tracked object
  while holding the GIL, so it stops every thread: with 100,000 photo records,
  the model and the index in memory, one took 250-400 ms. What stays for good is
  frozen after each big load (``freeze_long_lived``) and given back on the way
  out, and full collections wait for ten times as many allocations as Python's
  default.
"""

from __future__ import annotations

import gc
import sys

SWITCH_INTERVAL_S = 0.001
# Python's default is 10: with it, workers building 100,000 records still made full
# collections of 10-90 ms (over what was not frozen yet); at 100 none happened while scrolling.
MIDDLE_COLLECTIONS_PER_FULL = 100


def tune_for_gui() -> None:
    """Set once, before the workers start."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, MIDDLE_COLLECTIONS_PER_FULL)


def freeze_long_lived() -> None:
    """Everything alive now is here to stay (modules, the model, the library's records):
    collections stop walking it. Frozen objects are still freed when their last reference
    goes; only a reference cycle among them would never be collected."""
    gc.freeze()


def unfreeze_for_exit() -> None:
    """The interpreter's last collections must see everything again: objects they cannot
    free are reported as leaks on the way out (by triton's bindings, for one)."""
    gc.unfreeze()
