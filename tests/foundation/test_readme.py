"""
The README stays true: its options table lists every setting, and its quick
start names targets the Makefile has.
"""

import re
from pathlib import Path

import attrs

from ruststack.config import Config, env_name, option_name

ROOT = Path(__file__).resolve().parents[2]


def test_options_table_is_complete():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- options-table", 1)[1].split("<!-- /options-table -->", 1)[0]
    for field in attrs.fields(Config):
        assert f"| `{option_name(field.name)}` | `{env_name(field.name)}` |" in table, field.name


def test_quick_start_targets_exist():
    makefile = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    targets = re.findall(r"^make (\w+)", quick_start, re.M)
    assert targets == ["run", "test"]
    for target in targets:
        assert re.search(rf"^{target}:", makefile, re.M)
