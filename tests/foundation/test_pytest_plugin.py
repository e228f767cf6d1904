"""
The pytest plugin, as an ordinary synchronous suite uses it: run in a pytest
of its own (pytester), then check that its RustStack process is gone.
"""

import os

pytest_plugins = ["pytester"]

INNER_SUITE = """
import json, os, urllib.request

def test_fixture_serves(ruststack, tmp_path_factory):
    with urllib.request.urlopen(ruststack.endpoint_url + "/_ruststack/health") as response:
        assert json.load(response)["version"]
    assert ruststack.region == "us-east-1"
    assert ruststack.client("s3").meta.endpoint_url == ruststack.endpoint_url
    with open(os.environ["PID_FILE"], "w") as f:
        f.write(str(ruststack.process.pid))

def test_same_process_for_the_session(ruststack):
    with open(os.environ["PID_FILE"]) as f:
        assert int(f.read()) == ruststack.process.pid
"""


def test_fixture_in_a_synchronous_suite(pytester, tmp_path, monkeypatch):
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("PID_FILE", str(pid_file))
    pytester.makepyfile(test_inner=INNER_SUITE)
    result = pytester.runpytest_subprocess("--ruststack-arg=--services=", "-q")
    result.assert_outcomes(passed=2)
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError(f"RustStack process {pid} outlived the suite")
