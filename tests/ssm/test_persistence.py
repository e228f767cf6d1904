"""
With --data-dir, parameters (every version, labels, tags, ciphertexts)
survive a restart; a reset forgets them, on disk too.
"""

from __future__ import annotations

from ruststack.testing import RustStackProcess


def test_parameters_survive_a_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    first = RustStackProcess.start("--services", "ssm", "--data-dir", data_dir)
    try:
        ssm = first.client("ssm")
        ssm.put_parameter(Name="/kept/secret", Value="s1", Type="SecureString", Tags=[{"Key": "k", "Value": "v"}])
        ssm.put_parameter(Name="/kept/secret", Value="s2", Overwrite=True, Description="second")
        ssm.label_parameter_version(Name="/kept/secret", ParameterVersion=1, Labels=["old"])
        ssm.put_parameter(Name="flat", Value="f", Type="StringList", Tier="Advanced", AllowedPattern="[a-z,]+")
        ssm.put_parameter(Name="dropped", Value="d", Type="String")
        ssm.delete_parameter(Name="dropped")
        for number in range(1, 103):
            ssm.put_parameter(Name="rolling", Value=str(number), Type="String", Overwrite=True)
        before = ssm.get_parameter_history(Name="/kept/secret")["Parameters"]
        described = ssm.describe_parameters()["Parameters"]
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "ssm", "--data-dir", data_dir)
    try:
        ssm = second.client("ssm")
        assert ssm.get_parameter_history(Name="/kept/secret")["Parameters"] == before
        assert ssm.describe_parameters()["Parameters"] == described
        assert [p["Name"] for p in described] == ["flat", "/kept/secret", "rolling"]
        assert ssm.get_parameter(Name="/kept/secret:old", WithDecryption=True)["Parameter"]["Value"] == "s1"
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/kept/secret")["TagList"]
        assert tags == [{"Key": "k", "Value": "v"}]
        rolling = ssm.get_paginator("get_parameter_history").paginate(Name="rolling")
        assert [h["Version"] for page in rolling for h in page["Parameters"]] == list(range(3, 103))
        assert ssm.put_parameter(Name="/kept/secret", Value="s3", Overwrite=True)["Version"] == 3
        second.reset("ssm")
        assert ssm.describe_parameters()["Parameters"] == []
    finally:
        second.stop()
    third = RustStackProcess.start("--services", "ssm", "--data-dir", data_dir)
    try:
        assert third.client("ssm").describe_parameters()["Parameters"] == []
    finally:
        third.stop()
