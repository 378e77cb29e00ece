"""The worker's own copies of os, sys and time, taken before the submission's code runs.

The submission runs in the worker's interpreter, so what it assigns to a module's attribute
(`os._exit = lambda code=0: None`, `os.fork = lambda: 0`, `sys.settrace = print`) reached the
worker's own calls through that module: a check's fork whose os._exit returned went back to
serving the worker's pipe beside its parent, and the grade ran past every deadline (probe s61).
The worker's modules that run after the import call these functions through a copy of each
module's namespace made at their own import, which assigning to the module does not change.
What the worker does not keep a copy of (random.seed, gc.freeze, json.dumps, the builtins) breaks
the worker when replaced, and the submission is told so (grader/proxy.py _describe_exit).

Housekeeping, not a wall: code that looks for these copies in the worker's memory finds them.
"""
from __future__ import annotations

import types


def copy_of(module: types.ModuleType) -> types.ModuleType:
    """A module holding what `module` holds now: its functions as they are before the submission
    runs. (Its mutable objects, os.environ or sys.path, are the module's own, shared.)"""
    copy = types.ModuleType(module.__name__, module.__doc__)
    copy.__dict__.update(vars(module))
    return copy
