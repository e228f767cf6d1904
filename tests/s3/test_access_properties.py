"""
Property tests of the parsers and evaluators behind tenancy and routing:
bucket policy documents, wildcard patterns, and the model-driven router.
"""

from __future__ import annotations

import fnmatch
import json

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.s3 import access, policy, routing
from ruststack.s3.records import Bucket

BUCKET = "shared-bucket"
OWNER = "111111111111"
OTHER = "222222222222"

# Pattern text without fnmatch's character classes, which IAM does not have.
_PATTERN_TEXT = st.text(alphabet="ab/.-*?", max_size=12)
_SUBJECT_TEXT = st.text(alphabet="ab/.-", max_size=12)


@given(_PATTERN_TEXT, _SUBJECT_TEXT)
def test_resource_wildcards_are_globs_across_slashes(pattern, subject):
    # IAM's * crosses "/" (as fnmatch's does) and ? is one character.
    assert policy.resource_matches(pattern, subject) == fnmatch.fnmatchcase(subject, pattern)


@given(st.text(alphabet="abAB:*?", max_size=10), st.text(alphabet="abAB:", max_size=10))
def test_actions_match_without_regard_to_case(pattern, action):
    assert policy.action_matches(pattern, action) == policy.action_matches(pattern.swapcase(), action.lower())


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


@given(st.binary(max_size=64))
def test_any_bytes_parse_or_are_malformed_policy(document):
    try:
        policy.parse(document, BUCKET)
    except AwsError as e:
        assert (e.code, e.status) == ("MalformedPolicy", 400)


_FIELDS = st.sampled_from(
    ["Version", "Statement", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "Condition"]
)
_VALUES = st.one_of(
    _JSON,
    st.sampled_from(["Allow", "Deny", "*", "s3:*", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", OTHER]),
    st.fixed_dictionaries({"AWS": st.sampled_from(["*", OTHER, f"arn:aws:iam::{OTHER}:root", "nope"])}),
)


@settings(max_examples=300)
@given(
    st.dictionaries(_FIELDS, _VALUES, max_size=6), st.lists(st.dictionaries(_FIELDS, _VALUES, max_size=7), max_size=3)
)
def test_any_json_document_parses_or_is_malformed_policy(top, statements):
    document = dict(top)
    if statements:
        document["Statement"] = statements
    try:
        parsed = policy.parse(json.dumps(document).encode(), BUCKET)
    except AwsError as e:
        assert (e.code, e.status) == ("MalformedPolicy", 400)
        return
    # Whatever parses can be evaluated for any request without error.
    for account in (OWNER, OTHER):
        policy.decide(parsed, account, OWNER, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/k")


_ACTIONS = st.sampled_from(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:Get*", "s3:*", "*"])
_PRINCIPALS = st.sampled_from(
    ["*", {"AWS": OTHER}, {"AWS": f"arn:aws:iam::{OTHER}:root"}, {"AWS": [OWNER, OTHER]}, {"AWS": "333333333333"}]
)
_RESOURCES = st.sampled_from(
    [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*", f"arn:aws:s3:::{BUCKET}/a/*", f"arn:aws:s3:::{BUCKET}/?"]
)
_STATEMENT = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Principal": _PRINCIPALS,
        "Action": _ACTIONS | st.lists(_ACTIONS, min_size=1, max_size=3),
        "Resource": _RESOURCES | st.lists(_RESOURCES, min_size=1, max_size=3),
    },
    optional={"Condition": st.just({"Bool": {"aws:SecureTransport": "false"}})},
)
_REQUESTS = st.tuples(
    st.sampled_from([OWNER, OTHER, "333333333333"]),
    st.sampled_from(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"]),
    st.sampled_from([f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/a/b", f"arn:aws:s3:::{BUCKET}/x"]),
)


@settings(max_examples=300)
@given(st.lists(_STATEMENT, min_size=1, max_size=4), _REQUESTS)
def test_evaluation_invariants(statements, request):
    account, action, resource = request
    parsed = policy.parse(json.dumps({"Statement": statements}).encode(), BUCKET)
    allowed = policy.decide(parsed, account, OWNER, action, resource)
    # An explicit Deny wins over everything, the owner included.
    if parsed.denies(account, action, resource):
        assert not allowed
    # The owner needs no Allow; another account needs one.
    elif account == OWNER:
        assert allowed
    else:
        assert allowed == parsed.allows(account, action, resource)
    # Removing Deny statements never takes access away; removing Allows never grants it.
    allows_only = [s for s in statements if s["Effect"] == "Allow"]
    if allows_only:
        relaxed = policy.parse(json.dumps({"Statement": allows_only}).encode(), BUCKET)
        assert policy.decide(relaxed, account, OWNER, action, resource) >= allowed
    denies_only = [s for s in statements if s["Effect"] == "Deny"]
    if denies_only:
        stricter = policy.parse(json.dumps({"Statement": denies_only}).encode(), BUCKET)
        assert policy.decide(stricter, account, OWNER, action, resource) <= allowed
    # A conditional Allow grants nothing.
    for statement in statements:
        if statement["Effect"] == "Allow" and "Condition" in statement:
            single = policy.parse(json.dumps({"Statement": [statement]}).encode(), BUCKET)
            assert not single.allows(account, action, resource)


@given(st.lists(_STATEMENT, max_size=3), _REQUESTS)
def test_without_a_policy_only_the_owner_may(statements, request):
    account, action, _ = request
    bare = Bucket(BUCKET, OWNER, "us-east-1", 0.0)
    assert access.permits(bare, account, action) == (account == OWNER)


# The router.

_SUBRESOURCES = sorted(routing.subresource_names())
_MEMBERS = sorted({name for operation in routing.model_operations() for name in operation.query_members})
_QUERY_NAMES = st.sampled_from(_SUBRESOURCES + _MEMBERS + ["list-type", "x-id", "color", "select-type"]) | st.text(
    alphabet="abcxyz-", min_size=1, max_size=6
)
_QUERIES = st.dictionaries(_QUERY_NAMES, st.sampled_from(["", "1", "2", "x"]), max_size=4)
_HEADERS = st.sets(st.sampled_from(["x-amz-copy-source", "x-amz-object-attributes", "x-amz-rename-source", "other"]))
_METHODS = st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"])
_SCOPES = st.sampled_from(["service", "bucket", "object"])


@settings(max_examples=500)
@given(_METHODS, _SCOPES, _QUERIES, _HEADERS)
def test_route_only_picks_operations_the_request_can_be(method, scope, query, headers):
    named = {name for name in query if name in routing.subresource_names()}
    for operation in routing.route(method, scope, "bucket", query, headers):
        assert (operation.method, operation.scope) == (method, scope)
        assert operation.subresources == named
        assert all(query.get(name) == value for name, value in operation.pinned)
        if operation.required_query:
            assert operation.required_query & query.keys()


@settings(max_examples=300)
@given(_METHODS, _SCOPES, _QUERIES, _HEADERS, st.text(alphabet="qrstuv", min_size=3, max_size=6), st.text(max_size=4))
def test_unknown_query_parameters_change_nothing(method, scope, query, headers, unknown, value):
    assume(unknown not in query)
    assert routing.route(method, scope, "b", {**query, unknown: value}, headers) == routing.route(
        method, scope, "b", query, headers
    )


@given(
    st.sampled_from(["/", "/{Bucket}", "/{Bucket}/{Key+}"]),
    st.sets(st.text(alphabet="abc-", min_size=1, max_size=5), max_size=3),
    st.dictionaries(st.text(alphabet="abc-", min_size=1, max_size=5), st.text(alphabet="12", min_size=1), max_size=2),
)
def test_request_uris_parse_back(path, subresources, pinned):
    assume(not subresources & pinned.keys())
    parts = sorted(subresources) + [f"{name}={value}" for name, value in sorted(pinned.items())] + ["x-id=Marker"]
    parsed_path, parsed_subresources, parsed_pinned = routing.parse_request_uri(path + "?" + "&".join(parts))
    assert (parsed_path, parsed_subresources, dict(parsed_pinned)) == (path, frozenset(subresources), pinned)


def test_every_operation_on_a_bucket_has_its_action():
    from ruststack.s3.operations import HANDLERS

    # An operation missing here would be its owner's alone (deny-safe), but
    # a policy could not grant it: keep the table whole.
    assert set(HANDLERS) - set(access.ACTIONS) == {"ListBuckets", "CreateBucket"}
    # (POST Object, the one operation outside botocore's model, is answered beside them.)
    assert set(access.ACTIONS) <= set(HANDLERS) | {"PostObject"}


_PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL", "write", "", "ANY")
_GRANTEES: tuple[dict[str, str], ...] = (
    {"Type": "CanonicalUser", "ID": "mine"},
    {"Type": "CanonicalUser", "ID": "theirs"},
    {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
    {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
    {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
    {},
)
_ACLS = st.lists(
    st.fixed_dictionaries({"Grantee": st.sampled_from(_GRANTEES), "Permission": st.sampled_from(_PERMISSIONS)}),
    max_size=6,
).map(lambda grants: {"Grants": grants})


@given(
    _ACLS,
    st.sampled_from(sorted({action for action, _ in access.ACTIONS.values()})),
    st.sampled_from((OTHER, access.ANONYMOUS)),
    st.booleans(),
)
def test_acl_grants_only_what_their_permissions_map_to(acl, action, account, public):
    """
    An ACL never grants an action outside what S3 maps its permissions to
    (FULL_CONTROL: all of its kind's), a public grant never counts when
    public ones are ignored, and the anonymous caller gets neither a
    user's grant nor AuthenticatedUsers'.
    """
    granted = access.acl_grants(acl, "mine", account, action, public)
    kind = access.BUCKET_ACL_ACTIONS if access.speaks_of_bucket(action) else access.OBJECT_ACL_ACTIONS
    reasons = []
    for grant in acl["Grants"]:
        permission = grant["Permission"]
        if not (permission == "FULL_CONTROL" and any(action in a for a in kind.values())):
            if action not in kind.get(permission, ()):
                continue
        grantee = grant["Grantee"]
        if grantee.get("ID") == "mine" and account != access.ANONYMOUS:
            reasons.append("user")
        elif public and grantee.get("URI", "").endswith("/AllUsers"):
            reasons.append("everyone")
        elif public and grantee.get("URI", "").endswith("/AuthenticatedUsers") and account != access.ANONYMOUS:
            reasons.append("signed")
    assert granted == bool(reasons)
