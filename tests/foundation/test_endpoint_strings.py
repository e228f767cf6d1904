"""
The endpoint string grammar of --listen: property tests against Twisted's own
parser, which reads the strings in the end.
"""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from twisted.internet.endpoints import _parse as twisted_parse  # the reference; RustStack never imports it

from ruststack.endpoint_strings import endpoint_type, parse, quote, split_list

# Text in which the grammar's own characters and blanks are frequent.
characters = st.sampled_from("\\:=, \ta1é") | st.characters(exclude_categories=["Cs"])
text = st.text(characters, max_size=40)


def without_lone_backslash(value: str) -> bool:
    return (len(value) - len(value.rstrip("\\"))) % 2 == 0


@settings(max_examples=1000)
@given(text.filter(without_lone_backslash))
@example("tcp:4566:interface=\\:\\:1")
@example("ssl:0:privateKey=a=b:certKey=c\\=d")
@example("=x::a=")
def test_parse_reads_as_twisted_does(description):
    try:
        expected = twisted_parse(description)
    except UnicodeEncodeError:
        return  # Twisted takes only ASCII keyword names; serverFromString refuses the rest itself
    assert parse(description) == expected


@given(text.filter(without_lone_backslash).map(lambda value: value + "\\"))
def test_a_lone_backslash_is_refused(description):
    with pytest.raises(ValueError, match="ends in a lone backslash"):
        parse(description)
    # Twisted cannot read it either (a keyword name that is not ASCII fails
    # it sooner, as UnicodeError).
    with pytest.raises((RuntimeError, UnicodeError)):
        twisted_parse(description)


@given(st.text(st.characters(max_codepoint=127), max_size=20), text)
def test_quote_makes_one_argument(key, value):
    assert twisted_parse("unix:" + quote(value)) == (["unix", value], {})
    assert twisted_parse(f"ssl:0:{quote(key)}={quote(value)}") == (["ssl", "0"], {key: value})


# One endpoint string as it may appear in a list: plain characters and
# escapes, neither starting nor ending with a blank that could be stripped.
plain = st.sampled_from(":=a1é/") | st.characters(exclude_categories=["Cs"], exclude_characters="\\,").filter(
    lambda c: not c.isspace()
)
escape = st.builds(lambda c: "\\" + c, characters)
token = plain | escape | st.sampled_from(" \t")
endpoint = (plain | escape) | st.builds(
    lambda first, middle, last: first + "".join(middle) + last,
    plain | escape,
    st.lists(token, max_size=12),
    plain | escape,
)
blanks = st.sampled_from(["", " ", "  ", "\t"])


@settings(max_examples=500)
@given(st.lists(st.tuples(blanks, endpoint, blanks), max_size=6), st.lists(blanks, max_size=3))
@example([("", "unix:/run/a\\,b", " ")], [])
@example([("", "unix:/tmp/x\\ ", "")], [])
def test_split_list_gives_back_each_string(items, empty):
    listed = ",".join([f"{before}{item}{after}" for before, item, after in items] + empty)
    assert split_list(listed) == tuple(item for _, item, _ in items)


@given(st.lists(text, max_size=5))
def test_a_quoted_list_reads_back(values):
    """
    Values quoted into a list come back from Twisted's parser unchanged:
    a comma inside one does not split it.
    """
    listed = ",".join("unix:" + quote(value) for value in values)
    assert [twisted_parse(item)[0][1] for item in split_list(listed)] == values


def test_endpoint_type():
    assert endpoint_type("systemd:domain=INET:index=0") == "systemd"
    assert endpoint_type("ssl:4443") == "ssl"
    assert split_list(" tcp:4566 , ssl:4443:interface=\\:\\:1 ,, ") == ("tcp:4566", "ssl:4443:interface=\\:\\:1")
    with pytest.raises(ValueError, match="ends in a lone backslash"):
        split_list("tcp:0\\")
