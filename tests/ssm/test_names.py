"""
Property tests of what Parameter Store reads from a request beyond the
model (ruststack/ssm/names.py): parameter names, hierarchy paths, the
selector grammar (C{name:3}, C{name:label}), parameter ARNs and labels,
each against an independent statement of AWS's rules.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.ssm import names

ACCOUNT, REGION = "111122223333", "eu-west-1"
LEVEL_CHARS = string.ascii_letters + string.digits + "_.-"
LEVELS = st.text(alphabet=LEVEL_CHARS, min_size=1, max_size=12)
# Characters a name may and may not have, spaces and colons among them.
ANY_CHARS = st.sampled_from(list(LEVEL_CHARS + "/: $@é\t*%") + ["\u00e9", "\U0001f600", "\x00"])
TEXT = st.text(alphabet=ANY_CHARS, max_size=40)


def readable(name: str) -> bool:
    """
    AWS's rule in words: one level, with or without a leading slash, or
    levels separated by slashes that begin with one; each level at least
    one of letters, digits, '.', '-', '_'.
    """
    levels = name[1:].split("/") if name.startswith("/") else [name]
    if not name.startswith("/") and "/" in name:
        return False
    return all(level and set(level) <= set(LEVEL_CHARS) for level in levels)


@st.composite
def valid_names(draw, max_levels: int = names.MAX_LEVELS) -> str:
    levels = draw(st.lists(LEVELS, min_size=1, max_size=max_levels))
    if len(levels) == 1 and draw(st.booleans()):
        return levels[0]
    return "/" + "/".join(levels)


def refusal(call, *args) -> tuple[str, str]:
    with pytest.raises(AwsError) as raised:
        call(*args)
    return raised.value.code, raised.value.message


@given(TEXT)
def test_a_name_is_read_exactly_when_aws_reads_it(text):
    stripped = text.strip(" ")
    if readable(stripped):
        assert names.check_name(text) == stripped
    else:
        assert refusal(names.check_name, text) == ("ValidationException", names.INVALID_NAME)


@given(valid_names())
def test_a_name_and_its_key_and_arn(name):
    key = names.key_of(name)
    assert not key.startswith("/") and key in (name, name[1:])
    # A single level is the same parameter with or without its slash.
    assert names.key_of("/" + key) == key
    assert names.arn(ACCOUNT, REGION, key) == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{key}"
    assert names.key_of(names.display_name(key)) == key
    assert names.display_name(key) == (name if "/" in key else key)


@given(valid_names(max_levels=20))
def test_new_names_are_at_most_fifteen_levels(name):
    levels = names.key_of(name).count("/") + 1
    if names.key_of(name).split("/")[0].lower().startswith(("aws", "ssm")):
        return
    if levels > names.MAX_LEVELS:
        assert refusal(names.check_new_name, name, ACCOUNT, REGION) == (
            "HierarchyLevelLimitExceededException",
            names.TOO_DEEP,
        )
    else:
        assert names.check_new_name(name, ACCOUNT, REGION) == name


@given(st.sampled_from(["aws", "AWS", "Aws", "ssm", "SSM", "sSm"]), LEVELS, st.booleans(), st.booleans())
def test_reserved_namespaces(prefix, rest, slash, path):
    first = prefix + rest
    name = ("/" if slash or path else "") + first + ("/leaf" if path else "")
    code, message = refusal(names.check_new_name, name, ACCOUNT, REGION)
    if not path:
        assert (code, message) == ("ValidationException", names.RESERVED_NAME)
    elif prefix.lower() == "aws":
        assert (code, message) == ("AccessDeniedException", f"No access to reserved parameter name: {name}.")
    else:
        assert (code, message) == ("ValidationException", names.INVALID_NAME)


@given(st.integers(min_value=1, max_value=1200))
def test_a_name_whose_arn_is_longer_than_1011_characters_is_refused(length):
    name = "n" * length
    arn = names.arn(ACCOUNT, REGION, name)
    if len(arn) <= names.MAX_ARN_LENGTH:
        assert names.check_new_name(name, ACCOUNT, REGION) == name
    else:
        code, message = refusal(names.check_new_name, name, ACCOUNT, REGION)
        assert code == "ValidationException" and "1011" in message


SELECTORS = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=10**25).map(str),
    st.builds(lambda head, tail: head + tail, st.sampled_from(string.ascii_letters + "_.-"), st.text(LEVEL_CHARS)),
)


@given(valid_names(), SELECTORS)
def test_the_selector_grammar(name, selector):
    text = name if selector is None else f"{name}:{selector}"
    reference = names.parse_reference(text, ACCOUNT, REGION)
    assert (reference.name, reference.key, reference.foreign) == (name, names.key_of(name), False)
    if selector is None:
        assert (reference.version, reference.label, reference.selector) == (None, None, None)
    elif selector.isdigit():
        assert reference.label is None and reference.version == min(int(selector), 2**63 - 1)
        assert reference.selector == f":{reference.version}"
    else:
        assert (reference.version, reference.label, reference.selector) == (None, selector, f":{selector}")


@given(valid_names(), SELECTORS, st.sampled_from([(ACCOUNT, REGION), ("444455556666", REGION), (ACCOUNT, "us-east-1")]))
def test_an_arn_names_the_same_parameter(name, selector, owner):
    key = names.key_of(name)
    text = names.arn(owner[0], owner[1], key) + ("" if selector is None else f":{selector}")
    reference = names.parse_reference(text, ACCOUNT, REGION)
    # An ARN's answers carry the parameter's own name.
    assert (reference.name, reference.key) == (None, key)
    assert reference.foreign == (owner != (ACCOUNT, REGION))
    assert reference.selector == (None if selector is None else names.parse_reference(f"x:{selector}", "", "").selector)


@given(TEXT)
def test_any_reference_is_read_or_refused_as_an_invalid_name(text):
    if text.strip(" ").startswith("arn:"):
        return
    try:
        reference = names.parse_reference(text, ACCOUNT, REGION)
    except AwsError as error:
        assert (error.code, error.status, error.message) == ("ValidationException", 400, names.INVALID_NAME)
        return
    name, colon, selector = text.strip(" ").partition(":")
    name = name.strip(" ")
    assert readable(name) and reference.key == names.key_of(name)
    if not colon:
        assert reference.selector is None
    elif selector.isdigit():
        assert reference.version == min(int(selector), 2**63 - 1)
    else:
        assert reference.label == selector and set(selector) <= set(LEVEL_CHARS)


@pytest.mark.parametrize(
    "text",
    ["arn:aws:ssm:eu-west-1:111122223333:parameter/", "arn:aws:s3:::bucket", "arn:aws:ssm:eu-west-1:1:document/x",
     "arn:aws:ssm:eu-west-1:111122223333:parameter//a", "name:", "name:1:2", "name:la bel", "a/b", "/a//b", "/a/"],
)  # fmt: skip
def test_references_aws_refuses(text):
    assert refusal(names.parse_reference, text, ACCOUNT, REGION) == ("ValidationException", names.INVALID_NAME)


@st.composite
def valid_paths(draw) -> str:
    levels = draw(st.lists(LEVELS, max_size=6))
    return "/" + "/".join(levels) + ("/" if levels and draw(st.booleans()) else "")


@given(st.one_of(valid_paths(), TEXT))
def test_a_path_is_read_exactly_when_aws_reads_it(path):
    levels = path.strip("/").split("/") if path.strip("/") else []
    well_formed = path.startswith("/") and all(level and set(level) <= set(LEVEL_CHARS) for level in levels)
    well_formed = well_formed and "//" not in path
    first = levels[0].lower() if levels else ""
    if not well_formed or (first.startswith(("aws", "ssm")) and first != "aws"):
        assert refusal(names.parse_path, path) == ("ValidationException", names.INVALID_PATH)
    elif first == "aws":
        assert names.parse_path(path) is None  # the public namespace, empty here
    else:
        assert names.parse_path(path) == "/".join(levels)


def test_the_path_message_is_aws_own():
    # Backslashes and all, as AWS writes it.
    assert 'It can\'t be prefixed with \\"aws\\" or \\"ssm\\" (case-insensitive).' in names.INVALID_PATH


@given(st.text(alphabet=ANY_CHARS, min_size=1, max_size=30))
def test_labels(label):
    expected = (
        set(label) <= set(LEVEL_CHARS) and not label[0].isdigit() and not label.lower().startswith(("aws", "ssm"))
    )
    assert names.is_label(label) == expected
