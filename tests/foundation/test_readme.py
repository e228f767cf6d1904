"""
The README stays true: its options table is the one config.py generates, and
its quick start names targets the Makefile has.
"""

import re
import subprocess
from pathlib import Path

from ruststack.config import options_table

ROOT = Path(__file__).resolve().parents[2]


def test_options_table_is_current():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- options-table", 1)[1].split("-->\n", 1)[1].split("<!-- /options-table -->", 1)[0]
    assert table.strip() == options_table(), "regenerate it: python -m ruststack.config"


def test_quick_start_targets_exist():
    makefile = (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    targets = re.findall(r"^make (\w+)", quick_start, re.M)
    assert targets == ["run", "test"]
    for target in targets:
        assert re.search(rf"^{target}:", makefile, re.M)


def test_no_merge_conflict_is_left_in_a_tracked_file():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    marked = [
        name
        for name in tracked.split()
        if name.endswith((".md", ".py", ".sh", ".ini", ".cfg", ".service", ".socket", "Makefile"))
        and re.search(r"^(<{7} |>{7} )", (ROOT / name).read_text(errors="replace"), re.M)
    ]
    assert marked == []


def test_lambda_not_implemented_list_is_current():
    from botocore.session import get_session

    from ruststack.awslambda import control

    readme = (ROOT / "README.md").read_text()
    listed = readme.split("<!-- lambda-not-implemented -->", 1)[1].split("<!-- /lambda-not-implemented -->", 1)[0]
    missing = set(get_session().get_service_model("lambda").operation_names) - set(control.HANDLERS)
    assert sorted(re.findall(r"\w+", listed)) == sorted(missing), f"it should list: {', '.join(sorted(missing))}"
