"""
The protocol layer against botocore, for every operation of every model
RustStack speaks: inputs botocore's serializers write are read back as sent,
outputs and modeled errors the layer writes are read by botocore's parsers
as given, invalid inputs get the service's validation error. The cases are
generated from the models (L{tests.protocol.cases}).
"""

from __future__ import annotations

import re

import pytest
from botocore.model import OperationModel, Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.protocol import Protocol, validate
from ruststack.protocol.model import error_code
from tests.protocol import cases, shapes
from tests.protocol.wire import parse_with_botocore, request_from_botocore

CASES = [case for case in cases.operations() if not cases.has_event_stream(case.model())]
EVENT_STREAMS = [case for case in cases.operations() if cases.has_event_stream(case.model())]

generated = settings(
    max_examples=cases.EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
once = settings(generated, max_examples=1)


def run_generated(check, examples: settings = generated) -> None:
    """
    Run C{check(data)} over generated examples. The property is built per
    case inside the test: pytest-twisted rewraps a parametrized @given test's
    shared function once per case, nesting its reactor calls.
    """
    examples(given(data=st.data())(check))()


def skip_if_ambiguous(operation: OperationModel, shape: Shape | None) -> None:
    """
    Skip the case when two members of C{shape} are one element on the wire
    (L{cases.shared_element}): no one can read them back apart.
    """
    shared = cases.shared_element(shape, operation.service_model.protocol)
    if shared:
        pytest.skip(shared)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_input_read_as_botocore_sent_it(case: cases.Case) -> None:
    operation = case.model()
    skip_if_ambiguous(operation, operation.input_shape)
    run_generated(lambda data: check_input(case, data))


def check_input(case: cases.Case, data: st.DataObject) -> None:
    operation = case.model()
    protocol = Protocol.for_service(case.service)
    params = data.draw(cases.input_strategy(operation), label="input")
    request = request_from_botocore(operation, params)
    match = protocol.match(request, implemented={operation.name})
    assert match.operation.name == operation.name
    parsed = protocol.parse(match, request)
    sent, got = cases.normalized_input(operation, params, parsed)
    assert got == sent, cases.difference(sent, got)
    # What the model allows, the layer accepts (but for the few members
    # whose model bounds contradict their pattern: nothing is valid there).
    for violation in validate.violations(operation.input_shape, parsed):
        pattern = operation.service_model.shape_for(violation.shape).metadata.get("pattern")
        assert pattern in shapes.UNSATISFIABLE, violation.describe()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_output_read_by_botocore(case: cases.Case) -> None:
    operation = case.model()
    skip_if_ambiguous(operation, operation.output_shape)
    run_generated(lambda data: check_output(case, data))


def check_output(case: cases.Case, data: st.DataObject) -> None:
    operation = case.model()
    protocol = Protocol.for_service(case.service)
    output = data.draw(cases.output_strategy(operation), label="output")
    response = protocol.serialize(operation, output, request_id="4d1f8a0e-1111-2222-3333-444455556666")
    parsed = parse_with_botocore(operation, response)
    sent, got = cases.normalized_output(operation, output, parsed, response.status)
    assert got == sent, cases.difference(sent, got)


@pytest.mark.parametrize("case", [case for case in CASES if case.model().error_shapes], ids=lambda case: case.id)
def test_modeled_errors_read_by_botocore(case: cases.Case) -> None:
    run_generated(lambda data: check_errors(case, data))


def check_errors(case: cases.Case, data: st.DataObject) -> None:
    operation = case.model()
    service = Protocol.for_service(case.service)
    for shape in cases.error_shapes(operation):
        code = error_code(shape)
        fields = data.draw(cases.error_strategy(case.service, shape), label=code)
        message = data.draw(st.sampled_from(["", "Something is wrong with 'it' & <that>."]), label="message")
        error = service.modeled_error(code, message, **fields)
        response = service.error(error, method="POST")
        assert response.status == error.status
        parsed = parse_with_botocore(operation, response)
        assert parsed["Error"]["Code"] == code
        assert (parsed["Error"].get("Message") or "") == message
        modeled = {name: value for name, value in parsed.items() if name not in ("Error", "message", "Message")}
        expected = dict(fields)
        if "Type" in shape.members and "Type" not in expected:
            # Lambda's errors say whose fault they are.
            expected["Type"] = "User" if error.status < 500 else "Service"
        assert modeled == expected, cases.difference(expected, modeled)


def _expected(protocol: Protocol, operation, breakage: cases.Breakage) -> re.Pattern[str]:
    member = operation.input_shape.members[breakage.member]
    path = breakage.member[:1].lower() + breakage.member[1:]
    value = "Value null" if breakage.value is None else "Value( '.*')?"
    constraint = {
        "required": "Member must not be null",
        "enum": r"Member must satisfy enum value set: \[.*\]",
        "pattern": "Member must satisfy regular expression pattern: " + re.escape(member.metadata.get("pattern", "")),
        "length": "Member must have length (greater|less) than or equal to \\d+",
        "range": "Member must have value (greater|less) than or equal to -?\\d+",
    }[breakage.kind]
    return re.compile(
        rf"\d+ validation errors? detected: (.*; )?{value} at '{re.escape(path)}' "
        rf"failed to satisfy constraint: {constraint}(;.*)?",
        re.DOTALL,
    )


@pytest.mark.parametrize("case", [case for case in CASES if cases.breakages(case.model())], ids=lambda case: case.id)
def test_invalid_input_refused_as_the_service_refuses_it(case: cases.Case) -> None:
    run_generated(lambda data: check_invalid(case, data), once)


def check_invalid(case: cases.Case, data: st.DataObject) -> None:
    operation = case.model()
    protocol = Protocol.for_service(case.service)
    for breakage in cases.breakages(operation):
        params = data.draw(cases.input_strategy(operation), label="input")
        if breakage.value is None:
            params.pop(breakage.member, None)
        else:
            params[breakage.member] = breakage.value
        request = request_from_botocore(operation, params)
        match = protocol.match(request, implemented={operation.name})
        with pytest.raises(AwsError) as raised:
            protocol.validate(match.operation, protocol.parse(match, request))
        error = raised.value
        if protocol.dialect.coral_messages:
            assert error.code == protocol.dialect.validation_code
            assert _expected(protocol, operation, breakage).fullmatch(error.message), (breakage, error.message)
        else:
            assert error.code in ("InvalidArgument", "InvalidStorageClass", "MissingRequestBodyError", "MalformedXML")
        # And a client reads it as that error (S3 answers HEAD without a
        # body: a client sees the status alone).
        response = protocol.error(error, method=request.method)
        parsed = parse_with_botocore(operation, response)
        expected = str(response.status) if request.method == "HEAD" and protocol.name == "rest-xml" else error.code
        assert parsed["Error"]["Code"] == expected


@pytest.mark.parametrize("case", EVENT_STREAMS, ids=lambda case: case.id)
def test_event_stream_payloads_handed_through(case: cases.Case) -> None:
    """
    An event stream is the handler's to write: the layer passes what it is
    given as the body, untouched.
    """
    operation = case.model()
    protocol = Protocol.for_service(case.service)
    name = operation.output_shape.event_stream_name
    stream = object()
    response = protocol.serialize(operation, {name: stream})
    assert response.body is stream
