"""
Property tests of the other parsers of user input in Parameter Store:
C{ParameterFilters} and the legacy C{Filters} (ruststack/ssm/filters.py) and
pagination tokens (ruststack/ssm/operations.py), and of what a filter
matches.
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.ssm import filters, names, operations
from ruststack.ssm.parameters import Parameter, Version

KEYS = st.sampled_from(["Name", "Type", "KeyId", "Path", "Label", "Tier", "DataType", "tag:env", "tag:a:b"])
OPTIONS = st.sampled_from([None, "Equals", "BeginsWith", "Contains", "Recursive", "OneLevel", "Like"])
VALUES = st.text(alphabet=string.ascii_letters + "/-_.: ", min_size=1, max_size=12)
FILTER = st.fixed_dictionaries({"Key": KEYS}, optional={"Option": OPTIONS, "Values": st.lists(VALUES, max_size=3)}).map(
    lambda given: {name: value for name, value in given.items() if value is not None}
)
FILTER_CODES = {"InvalidFilterKey", "InvalidFilterOption", "InvalidFilterValue", "ValidationException"}


@given(st.lists(FILTER, max_size=4), st.booleans())
def test_parameter_filters_are_read_or_refused_with_a_filter_error(given_filters, by_path):
    try:
        read = filters.parameter_filters(given_filters, by_path)
    except AwsError as error:
        assert error.code in FILTER_CODES and error.status == 400 and error.message
        return
    assert [f.key for f in read] == [g["Key"] for g in given_filters]
    assert len({f.key for f in read}) == len(read)  # no key twice
    for given_filter, found in zip(given_filters, read, strict=True):
        default = "OneLevel" if found.key == "Path" else "Equals"
        assert found.option == (given_filter.get("Option") or default)
        refused = ("Name", "Path", "Tier") if by_path else ("Label",)
        assert found.key not in refused
        if found.key in ("Type", "Tier"):
            assert set(found.values) <= {
                "String",
                "StringList",
                "SecureString",
                "Standard",
                "Advanced",
                "Intelligent-Tiering",
            }
        if not found.key.startswith("tag:"):
            assert found.values


@given(
    st.lists(
        st.fixed_dictionaries(
            {"Key": st.sampled_from(["Name", "Type", "KeyId"]), "Values": st.lists(VALUES, min_size=1, max_size=3)}
        )
    )
)
def test_legacy_filters(given_filters):
    read = filters.legacy_filters(given_filters)
    for given_filter, found in zip(given_filters, read, strict=True):
        assert found.option == ("BeginsWith" if given_filter["Key"] == "Name" else "Equals")


NAMES = st.lists(st.text(alphabet="ab", min_size=1, max_size=3), min_size=1, max_size=4).map(
    lambda levels: "/" + "/".join(levels)
)


@given(NAMES, st.text(alphabet="ab/", min_size=1, max_size=8), st.sampled_from(["OneLevel", "Recursive"]))
def test_a_path_filter_matches_what_lies_below_its_path(name, path, option):
    parameter = Parameter("a", "r", name, [Version(number=1, value="v", type="String", modified=0.0, user="u")])
    try:
        [read] = filters.parameter_filters([{"Key": "Path", "Option": option, "Values": [path]}], by_path=False)
    except AwsError:
        return
    parent = "/" + names.key_of(name).rpartition("/")[0]
    path = "/" + path.strip("/")
    if option == "OneLevel":
        expected = parent.rstrip("/") == path.rstrip("/") or (path == "/" and parent == "/")
    else:
        expected = path == "/" or (parent + "/").startswith(path.rstrip("/") + "/")
    assert read.matches(parameter, parameter.latest) == expected


@given(st.text(max_size=60))
def test_a_token_is_read_or_refused(token):
    try:
        read = operations._read_token(token)
    except AwsError as error:
        assert (error.code, error.status) == ("InvalidNextToken", 400)
        return
    assert isinstance(read, str)


@given(st.text(alphabet=string.ascii_letters + string.digits + "/_.-", max_size=200))
def test_tokens_name_what_they_were_made_of(key):
    assert operations._read_token(operations._token(key)) == key
