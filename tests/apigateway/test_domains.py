"""
Custom domain names and base path mappings: the control plane through boto3
against a real RustStack (with --data-dir and reset), requests by Host
through its edge, the event a function gets through a custom domain (the
data plane in memory, with a stand-in Lambda), and the edge's routing.
"""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from ruststack.apigateway.calls import Call
from ruststack.apigateway.domains import create_base_path_mapping, create_domain_name
from ruststack.apigateway.execute import ExecuteApiResource
from ruststack.apigateway.regional import BasePathMapping, DomainName, RegionalStore
from ruststack.apigateway.restapi_operations import create_rest_api
from ruststack.apigateway.store import ApiStore
from ruststack.apigateway.tags import tagged
from ruststack.aws import sigv4
from ruststack.aws.errors import AwsError
from ruststack.routing import Router, known_claims
from ruststack.testing import RustStackProcess
from tests.apigateway.helpers import error_of
from tests.apigateway.test_execute import FakeLambda, call, deploy, fetch
from tests.stacks import ruststack_fixture

EDGE_CERT = "arn:aws:acm:us-east-1:000000000000:certificate/0a1b2c3d-1234-5678-9abc-def012345678"
WEST_CERT = "arn:aws:acm:eu-west-1:000000000000:certificate/0a1b2c3d-1234-5678-9abc-def012345678"

stack = ruststack_fixture("--services", "apigateway")


@pytest.fixture
def apigw(stack):
    stack.reset()
    return stack.client("apigateway")


def mock_api(apigw, name="app", stages=("dev",)) -> str:
    """
    An API whose GET on / and on /{proxy+} answer, by MOCK integrations,
    which API and which path they served.
    """
    api = apigw.create_rest_api(name=name)
    greedy = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    for resource in (api["rootResourceId"], greedy["id"]):
        ids = {"restApiId": api["id"], "resourceId": resource, "httpMethod": "GET"}
        apigw.put_method(**ids, authorizationType="NONE")
        apigw.put_integration(**ids, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
        apigw.put_integration_response(
            **ids, statusCode="200", responseTemplates={"application/json": f'{{"api": "{name}"}}'}
        )
    for stage in stages:
        apigw.create_deployment(restApiId=api["id"], stageName=stage)
    return api["id"]


def test_domain_names_crud(apigw):
    edge = apigw.create_domain_name(domainName="api.example.com", certificateArn=EDGE_CERT, tags={"a": "b"})
    assert edge["domainName"] == "api.example.com"
    assert edge["endpointConfiguration"] == {"types": ["EDGE"]}
    assert edge["distributionDomainName"].endswith(".cloudfront.net")
    assert edge["distributionHostedZoneId"] == "Z2FDTNDATAQYW2"
    assert edge["certificateArn"] == EDGE_CERT and edge["domainNameStatus"] == "AVAILABLE"
    assert edge["domainNameArn"] == "arn:aws:apigateway:us-east-1::/domainnames/api.example.com"
    regional = apigw.create_domain_name(
        domainName="Regional.Example.com",
        regionalCertificateArn=EDGE_CERT,
        endpointConfiguration={"types": ["REGIONAL"]},
        securityPolicy="TLS_1_2",
    )
    assert regional["domainName"] == "regional.example.com"
    assert regional["regionalDomainName"].startswith("d-")
    assert regional["regionalDomainName"].endswith(".execute-api.us-east-1.amazonaws.com")
    assert regional["regionalHostedZoneId"] == "Z1UJRXOUMOOFQ8" and "distributionDomainName" not in regional
    assert apigw.get_domain_name(domainName="api.example.com")["tags"] == {"a": "b"}
    names = [d["domainName"] for d in apigw.get_domain_names()["items"]]
    assert names == ["api.example.com", "regional.example.com"]
    arn = edge["domainNameArn"]
    apigw.tag_resource(resourceArn=arn, tags={"c": "d"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"a": "b", "c": "d"}
    updated = apigw.update_domain_name(
        domainName="regional.example.com",
        patchOperations=[{"op": "replace", "path": "/securityPolicy", "value": "TLS_1_0"}],
    )
    assert updated["securityPolicy"] == "TLS_1_0"
    apigw.delete_domain_name(domainName="regional.example.com")
    with pytest.raises(ClientError) as excinfo:
        apigw.get_domain_name(domainName="regional.example.com")
    assert error_of(excinfo) == ("NotFoundException", 404, "Invalid domain name identifier specified")


@pytest.mark.parametrize(
    "params",
    [
        {"domainName": "api.example.com"},  # no certificate
        {"domainName": "api.example.com", "endpointConfiguration": {"types": ["REGIONAL"]}},
        {"domainName": "api.example.com", "certificateArn": WEST_CERT},  # EDGE wants us-east-1
        {"domainName": "api.example.com", "certificateArn": "arn:aws:acm:us-east-1:1:nope"},
        {"domainName": "not a name", "certificateArn": EDGE_CERT},
        {"domainName": "api.localhost", "certificateArn": EDGE_CERT},  # S3's <bucket>.localhost
        {"domainName": "x.execute-api.us-east-1.amazonaws.com", "certificateArn": EDGE_CERT},
        {"domainName": "a.example.com", "certificateArn": EDGE_CERT, "endpointConfiguration": {"types": ["PRIVATE"]}},
    ],
)
def test_bad_domain_names_are_refused(apigw, params):
    with pytest.raises(ClientError) as excinfo:
        apigw.create_domain_name(**params)
    assert error_of(excinfo)[:2] == ("BadRequestException", 400)


def test_a_domain_name_is_one_accounts(stack, apigw):
    apigw.create_domain_name(domainName="api.example.com", certificateArn=EDGE_CERT)
    with pytest.raises(ClientError) as excinfo:
        apigw.create_domain_name(domainName="api.example.com", certificateArn=EDGE_CERT)
    assert error_of(excinfo) == ("BadRequestException", 400, "The domain name you provided already exists.")
    other = stack.client("apigateway", aws_access_key_id="111122223333")
    assert other.get_domain_names()["items"] == []
    with pytest.raises(ClientError) as excinfo:
        other.get_domain_name(domainName="api.example.com")
    assert error_of(excinfo)[:2] == ("NotFoundException", 404)
    with pytest.raises(ClientError) as excinfo:
        other.create_domain_name(domainName="api.example.com", certificateArn=EDGE_CERT)
    assert error_of(excinfo)[:2] == ("BadRequestException", 400)
    # Nor may another account map its APIs on it, or this account map another's.
    theirs = other.create_rest_api(name="theirs")["id"]
    with pytest.raises(ClientError) as excinfo:
        apigw.create_base_path_mapping(domainName="api.example.com", restApiId=theirs)
    assert error_of(excinfo) == ("BadRequestException", 400, "Invalid REST API identifier specified")


def test_base_path_mappings(apigw):
    api_id = mock_api(apigw, stages=("dev", "prod"))
    apigw.create_domain_name(domainName="api.example.com", certificateArn=EDGE_CERT)
    root = apigw.create_base_path_mapping(domainName="api.example.com", restApiId=api_id, stage="prod")
    assert root == {
        "basePath": "(none)",
        "restApiId": api_id,
        "stage": "prod",
        "ResponseMetadata": root["ResponseMetadata"],
    }
    v1 = apigw.create_base_path_mapping(domainName="api.example.com", basePath="v1", restApiId=api_id, stage="dev")
    assert v1["basePath"] == "v1"
    apigw.create_base_path_mapping(domainName="api.example.com", basePath="any/stage", restApiId=api_id)
    listed = apigw.get_base_path_mappings(domainName="api.example.com")["items"]
    assert [m["basePath"] for m in listed] == ["(none)", "any/stage", "v1"]
    assert apigw.get_base_path_mapping(domainName="api.example.com", basePath="(none)")["stage"] == "prod"
    with pytest.raises(ClientError) as excinfo:
        apigw.create_base_path_mapping(domainName="api.example.com", basePath="v1", restApiId=api_id, stage="dev")
    assert error_of(excinfo)[:2] == ("ConflictException", 409)
    with pytest.raises(ClientError) as excinfo:
        apigw.create_base_path_mapping(domainName="api.example.com", basePath="v3", restApiId=api_id, stage="no")
    assert error_of(excinfo) == ("BadRequestException", 400, "Invalid stage identifier specified")
    moved = apigw.update_base_path_mapping(
        domainName="api.example.com",
        basePath="v1",
        patchOperations=[
            {"op": "replace", "path": "/basePath", "value": "v2"},
            {"op": "replace", "path": "/stage", "value": "prod"},
        ],
    )
    assert (moved["basePath"], moved["stage"]) == ("v2", "prod")
    with pytest.raises(ClientError) as excinfo:
        apigw.get_base_path_mapping(domainName="api.example.com", basePath="v1")
    assert error_of(excinfo) == ("NotFoundException", 404, "Invalid base path mapping identifier specified")
    with pytest.raises(ClientError) as excinfo:
        apigw.update_base_path_mapping(
            domainName="api.example.com", basePath="v2", patchOperations=[{"op": "replace", "path": "/x", "value": "y"}]
        )
    assert error_of(excinfo) == (
        "BadRequestException",
        400,
        "Invalid patch path '/x' specified for op 'replace'. Must be one of: [/basePath, /restapiId, /stage]",
    )
    apigw.delete_base_path_mapping(domainName="api.example.com", basePath="v2")
    assert len(apigw.get_base_path_mappings(domainName="api.example.com")["items"]) == 2


def test_requests_by_host_through_the_edge(stack, apigw):
    root_api = mock_api(apigw, "root", stages=("prod",))
    v1_api = mock_api(apigw, "v1", stages=("dev",))
    apigw.create_domain_name(domainName="api.example.com", certificateArn=EDGE_CERT)
    apigw.create_base_path_mapping(domainName="api.example.com", restApiId=root_api, stage="prod")
    apigw.create_base_path_mapping(domainName="api.example.com", basePath="v1", restApiId=v1_api, stage="dev")
    port = stack.endpoint_url.rsplit(":", 1)[1]

    def get(path, host="api.example.com"):
        return requests.get(stack.endpoint_url + path, headers={"Host": host}, timeout=30)

    assert get("/").json() == {"api": "root"}
    assert get("/notes/1", f"api.example.com:{port}").json() == {"api": "root"}
    assert get("/v1").json() == {"api": "v1"}
    assert get("/v1/notes").json() == {"api": "v1"}
    assert get("/v1x/notes").json() == {"api": "root"}  # a base path is whole segments
    # Every path of the domain is its mappings', the stage URL's path form too.
    assert get(f"/restapis/{v1_api}/dev/_user_request_/x").json() == {"api": "root"}
    assert requests.get(stack.endpoint_url + "/", headers={"Host": "other.example.com"}, timeout=30).status_code != 200
    # The control plane is unaffected on the edge's own host.
    assert apigw.get_domain_name(domainName="api.example.com")["domainName"] == "api.example.com"
    apigw.delete_base_path_mapping(domainName="api.example.com", basePath="(none)")
    response = get("/notes/1")
    assert response.status_code == 403 and response.json() == {"message": "Missing Authentication Token"}


def test_domains_survive_a_restart_and_go_with_reset(tmp_path):
    first = RustStackProcess.start("--services", "apigateway", "--data-dir", str(tmp_path))
    try:
        apigw = first.client("apigateway")
        api_id = mock_api(apigw)
        apigw.create_domain_name(domainName="api.example.com", certificateArn=EDGE_CERT)
        apigw.create_base_path_mapping(domainName="api.example.com", basePath="v1", restApiId=api_id, stage="dev")
    finally:
        first.stop()
    # With HTTP APIs too, whose control plane is under /v2: not on a custom domain.
    second = RustStackProcess.start("--services", "apigateway,apigatewayv2", "--data-dir", str(tmp_path))
    try:
        apigw = second.client("apigateway")
        assert apigw.get_base_path_mapping(domainName="api.example.com", basePath="v1")["restApiId"] == api_id
        apigw.create_base_path_mapping(domainName="api.example.com", basePath="v2", restApiId=api_id, stage="dev")
        for path in ("/v1/x", "/v2/apis"):
            response = requests.get(second.endpoint_url + path, headers={"Host": "api.example.com"}, timeout=30)
            assert response.json() == {"api": "app"}
        assert second.client("apigatewayv2").get_apis()["Items"] == []
        second.reset("apigateway")
        assert apigw.get_domain_names()["items"] == []
    finally:
        second.stop()


# The event a function gets through a custom domain (in memory).


def test_the_event_through_a_custom_domain():
    store, lam = ApiStore(), FakeLambda()
    from treq.testing import StubTreq
    from twisted.internet import task

    client = StubTreq(ExecuteApiResource(store, lambda: lam, task.Clock()))
    api_id = deploy(store)
    call(store, "POST", "/domainnames", {"domainName": "api.example.com", "certificateArn": EDGE_CERT})
    mappings = "/domainnames/api.example.com/basepathmappings"
    call(store, "POST", mappings, {"basePath": "v1", "restApiId": api_id, "stage": "dev"})
    call(store, "POST", mappings, {"restApiId": api_id})  # (none), the stage from the path
    response, body = fetch(client, "GET", "http://127.0.0.1:4566/v1/notes?q=1", headers={"Host": "api.example.com"})
    assert response.code == 200 and body == b"ok"
    event = lam.calls[-1][4]
    assert event["resource"] == "/notes" and event["path"] == "/v1/notes"
    assert event["requestContext"]["path"] == "/v1/notes" and event["requestContext"]["stage"] == "dev"
    assert event["requestContext"]["domainName"] == "api.example.com"
    assert event["requestContext"]["domainPrefix"] == "api"
    assert event["queryStringParameters"] == {"q": "1"}
    fetch(client, "GET", "http://127.0.0.1:4566/dev/a/b", headers={"Host": "api.example.com:4566"})
    event = lam.calls[-1][4]
    assert event["resource"] == "/{proxy+}" and event["pathParameters"] == {"proxy": "a/b"}
    assert event["path"] == event["requestContext"]["path"] == "/dev/a/b"


# The edge's routing of custom domain hosts.


def _signed(service: str) -> sigv4.Signature:
    return sigv4.Signature(
        scope=sigv4.CredentialScope("AKID", "20261124", "us-east-1", service),
        signed_headers=("host",),
        signature="0" * 64,
        amz_date="20261124T000000Z",
    )


@pytest.mark.parametrize(
    ("host", "signature", "expected"),
    [
        ("api.example.com", None, "apigateway"),
        ("api.example.com:4566", None, "apigateway"),
        ("api.example.com", _signed("execute-api"), "apigateway"),
        # Never another service's signed request, nor another host.
        ("api.example.com", _signed("s3"), "s3"),
        ("api.example.com", _signed("dynamodb"), "dynamodb"),
        ("other.example.com", None, "s3"),
        ("localhost:4566", None, "s3"),
    ],
)
def test_the_edge_routes_custom_domains_to_api_gateway(host, signature, expected):
    router = Router.of(known_claims())
    router.dynamic_hosts.append((lambda h: h.split(":")[0] == "api.example.com", "apigateway"))
    assert router.route(host, b"/", {}, signature) == expected


# The mapping of a path, on arbitrary paths.


def _regional() -> RegionalStore:
    regional = RegionalStore()
    domain = DomainName("api.example.com", "000000000000", "us-east-1", 0.0, "t" * 13)
    domain.mappings = {
        "(none)": BasePathMapping("(none)", "root", "prod"),
        "v1": BasePathMapping("v1", "one", "dev"),
        "a/b": BasePathMapping("a/b", "deep", None),
    }
    regional.domains[domain.name] = domain
    return regional


_SEGMENT = st.sampled_from(["v1", "a", "b", "c", "v1x", "", "%2F", "{x}"])


@settings(max_examples=300)
@given(st.lists(_SEGMENT, max_size=5).map(lambda parts: "/" + "/".join(parts)))
def test_a_path_maps_to_one_stage_below_its_base_path(path):
    mapped = _regional().mapped("api.example.com:4566", path)
    segments = path.strip("/").split("/")
    if segments[0] == "v1":
        assert mapped is not None and (mapped.api_id, mapped.stage) == ("one", "dev")
    elif segments[:2] == ["a", "b"]:
        if len(segments) < 3 or not segments[2]:
            assert mapped is None  # no stage named
        else:
            assert mapped is not None and (mapped.api_id, mapped.stage) == ("deep", segments[2])
    else:
        assert mapped is not None and mapped.api_id == "root"
    if mapped is not None:
        assert mapped.raw_path.startswith("/")
        assert path.rstrip("/").endswith(mapped.raw_path.rstrip("/"))


# The control plane's readers of names, base paths and ARNs, on arbitrary input.


def _call(store: ApiStore, body=None, **params) -> Call:
    return Call(store, "000000000000", "us-east-1", 0.0, params, {}, body or {})


_NAMES = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[a-zA-Z0-9*.-]{1,30}\.(com|localhost|aws|amazonaws\.com|net)", fullmatch=True),
)


@settings(max_examples=300)
@given(_NAMES)
def test_a_domain_name_is_created_or_refused_as_bad_request(name):
    store = ApiStore()
    try:
        status, body = create_domain_name(_call(store, {"domainName": name, "certificateArn": EDGE_CERT}))
    except AwsError as error:
        assert (error.code, error.status) == ("BadRequestException", 400)
        assert store.regional.domains == {}
        return
    assert status == 201 and body["domainName"] == name.lower().rstrip(".")
    assert not body["domainName"].endswith((".localhost", ".amazonaws.com", ".aws")) and len(body["domainName"]) <= 253


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=30), st.from_regex(r"/?[a-z0-9()/.$-]{0,20}", fullmatch=True)))
def test_a_base_path_is_taken_or_refused_as_bad_request(base_path):
    store = ApiStore()
    create_domain_name(_call(store, {"domainName": "api.example.com", "certificateArn": EDGE_CERT}))
    api = create_rest_api(_call(store, {"name": "app"}))[1]
    body = {"basePath": base_path, "restApiId": api["id"]}
    try:
        _, mapping = create_base_path_mapping(_call(store, body, domain="api.example.com"))
    except AwsError as error:
        assert (error.code, error.status) == ("BadRequestException", 400)
        return
    assert mapping["basePath"] == "(none)" or "//" not in mapping["basePath"]
    assert not mapping["basePath"].startswith("/") and not mapping["basePath"].endswith("/")


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(max_size=60),
        st.from_regex(r"arn:aws:apigateway:(us-east-1|eu-west-1)::/[a-z/{}0-9]{0,40}", fullmatch=True),
    )
)
def test_a_tagged_arn_is_found_or_refused(arn):
    try:
        tagged(_call(ApiStore(), arn=arn))
    except AwsError as error:
        assert (error.code, error.status) in (("BadRequestException", 400), ("NotFoundException", 404))
    else:
        raise AssertionError(f"{arn} named something in an empty store")
