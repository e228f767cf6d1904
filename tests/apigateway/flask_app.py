"""
The example app (examples/flask_app) for the tests: its module loaded under
a private name with the environment it reads.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType

EXAMPLE_DIR = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "examples", "flask_app")


def load(name: str, environment: dict[str, str]) -> ModuleType:
    """
    Import examples/flask_app/<name>.py as a fresh module with
    C{environment} added to os.environ while it loads (the app reads its
    table, bucket and endpoint then).
    """
    spec = importlib.util.spec_from_file_location(f"_example_{name}", os.path.join(EXAMPLE_DIR, f"{name}.py"))
    # None only for a file no loader claims; a .py file always has one.
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        spec.loader.exec_module(module)
    finally:
        for key, value in saved.items():
            if value is None:
                del os.environ[key]
            else:
                os.environ[key] = value
    sys.modules[spec.name] = module
    return module
