"""
Every answer a test's boto3 client reads from RustStack is checked against
botocore's model: a successful answer must carry every member its output
shape requires, at every depth. So each end-to-end test is also a
conformance test of the operations it calls.
"""

from __future__ import annotations

from typing import Any

import botocore.endpoint
from hypothesis import settings

# Speed is measured in bench/, not asserted: on a loaded 2-core machine one
# example of a property test may well take longer than hypothesis's 200 ms.
settings.register_profile("ruststack", deadline=None)
settings.load_profile("ruststack")

# Answers that came over a socket, not the protocol tests' generated ones.
_do_get_response = botocore.endpoint.Endpoint._do_get_response


def missing_members(shape: Any, value: Any, path: str) -> list[str]:
    """
    The required members of C{shape} that C{value} (as botocore parsed it)
    lacks, as paths (C{GetObjectTaggingOutput.TagSet}).
    """
    if shape is None or value is None:
        return []
    missing = []
    if shape.type_name == "structure" and isinstance(value, dict):
        missing += [f"{path}.{name}" for name in shape.required_members if name not in value]
        for name, member in shape.members.items():
            if name in value:
                missing += missing_members(member, value[name], f"{path}.{name}")
    elif shape.type_name == "list" and isinstance(value, list):
        for item in value:
            missing += missing_members(shape.member, item, f"{path}[]")
    elif shape.type_name == "map" and isinstance(value, dict):
        for item in value.values():
            missing += missing_members(shape.value, item, f"{path}{{}}")
    return missing


def _get_response_and_check(self: Any, request: Any, operation_model: Any, context: Any) -> Any:
    # ((http response, parsed), None), or (None, the exception it raised)
    answer, _ = result = _do_get_response(self, request, operation_model, context)
    shape = operation_model.output_shape
    if answer is not None and answer[0].status_code < 300 and shape is not None:
        missing = missing_members(shape, answer[1], shape.name)
        assert not missing, f"RustStack's answer lacks members botocore's model requires: {', '.join(missing)}"
    return result


botocore.endpoint.Endpoint._do_get_response = _get_response_and_check  # type: ignore[method-assign]
