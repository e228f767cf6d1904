"""
The HTTP API control plane through boto3 over a real socket: APIs (with
quick create), routes, integrations, stages, deployments and tags, AWS's
errors, accounts and regions kept apart, and the state kept with --data-dir.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess

from .conftest import ACCOUNT, REGION

FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:notes"


def error_of(call, **params) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call(**params)
    error = raised.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


def body(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def lambda_integration(apigw2, api_id: str, version: str = "2.0", **more) -> dict:
    return apigw2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FUNCTION, PayloadFormatVersion=version, **more
    )


def test_create_get_update_delete_api(apigw2, stack):
    api = apigw2.create_api(Name="notes", ProtocolType="HTTP", Description="first", Tags={"team": "blue"})
    api_id = api["ApiId"]
    assert len(api_id) == 10 and api_id.isalnum() and api_id.islower()
    port = stack.endpoint_url.rpartition(":")[2]
    assert api["ApiEndpoint"] == f"http://{api_id}.execute-api.localhost:{port}"
    assert api["RouteSelectionExpression"] == "$request.method $request.path"
    assert api["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    assert (api["ProtocolType"], api["DisableExecuteApiEndpoint"], api["Tags"]) == ("HTTP", False, {"team": "blue"})
    assert body(apigw2.get_api(ApiId=api_id)) == body(api)
    updated = apigw2.update_api(ApiId=api_id, Name="notes2", CorsConfiguration={"AllowOrigins": ["*"]})
    assert (updated["Name"], updated["Description"], updated["CorsConfiguration"]) == (
        "notes2",
        "first",
        {"AllowOrigins": ["*"]},
    )
    assert [a["ApiId"] for a in apigw2.get_apis()["Items"]] == [api_id]
    apigw2.delete_api(ApiId=api_id)
    assert apigw2.get_apis()["Items"] == []
    assert error_of(apigw2.get_api, ApiId=api_id) == (
        404,
        "NotFoundException",
        f"Invalid API identifier specified {ACCOUNT}:{api_id}",
    )


def test_quick_create_makes_the_default_route_integration_and_stage(apigw2):
    api = apigw2.create_api(Name="quick", ProtocolType="HTTP", Target=FUNCTION)
    api_id = api["ApiId"]
    (integration,) = apigw2.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY" and integration["IntegrationUri"] == FUNCTION
    assert (integration["PayloadFormatVersion"], integration["IntegrationMethod"]) == ("2.0", "POST")
    assert integration["ApiGatewayManaged"] is True and integration["TimeoutInMillis"] == 30000
    (route,) = apigw2.get_routes(ApiId=api_id)["Items"]
    assert (route["RouteKey"], route["Target"]) == ("$default", f"integrations/{integration['IntegrationId']}")
    (stage,) = apigw2.get_stages(ApiId=api_id)["Items"]
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)
    (deployment,) = apigw2.get_deployments(ApiId=api_id)["Items"]
    assert stage["DeploymentId"] == deployment["DeploymentId"] and deployment["AutoDeployed"] is True
    assert deployment["DeploymentStatus"] == "DEPLOYED"
    keyed = apigw2.create_api(Name="keyed", ProtocolType="HTTP", Target=FUNCTION, RouteKey="GET /items")
    assert [r["RouteKey"] for r in apigw2.get_routes(ApiId=keyed["ApiId"])["Items"]] == ["GET /items"]


def test_routes(apigw2):
    api_id = apigw2.create_api(Name="r", ProtocolType="HTTP")["ApiId"]
    integration = lambda_integration(apigw2, api_id)
    target = f"integrations/{integration['IntegrationId']}"
    keys = ["ANY /{proxy+}", "$default", "GET /items/{id}", "GET /"]
    created = [apigw2.create_route(ApiId=api_id, RouteKey=key, Target=target) for key in keys]
    assert [r["RouteKey"] for r in created] == keys
    assert created[0]["AuthorizationType"] == "NONE" and created[0]["ApiKeyRequired"] is False
    assert sorted(r["RouteKey"] for r in apigw2.get_routes(ApiId=api_id)["Items"]) == sorted(keys)
    route_id = created[2]["RouteId"]
    assert apigw2.get_route(ApiId=api_id, RouteId=route_id)["RouteKey"] == "GET /items/{id}"
    updated = apigw2.update_route(ApiId=api_id, RouteId=route_id, RouteKey="PUT /items/{id}", OperationName="put")
    assert (updated["RouteKey"], updated["OperationName"], updated["Target"]) == ("PUT /items/{id}", "put", target)
    status, code, message = error_of(apigw2.create_route, ApiId=api_id, RouteKey="GET /")
    assert (status, code) == (409, "ConflictException") and "GET /" in message
    apigw2.delete_route(ApiId=api_id, RouteId=route_id)
    assert error_of(apigw2.get_route, ApiId=api_id, RouteId=route_id) == (
        404,
        "NotFoundException",
        f"Invalid Route identifier specified {route_id}",
    )
    for bad in ("GET", "FETCH /x", "GET items", "GET /{proxy+}/more", "GET /a b", "GET /{x"):
        status, code, _ = error_of(apigw2.create_route, ApiId=api_id, RouteKey=bad)
        assert (status, code) == (400, "BadRequestException"), bad
    assert error_of(apigw2.create_route, ApiId=api_id, RouteKey="GET /x", Target="integrations/nope")[:2] == (
        400,
        "BadRequestException",
    )


def test_integrations(apigw2):
    api_id = apigw2.create_api(Name="i", ProtocolType="HTTP")["ApiId"]
    v1 = lambda_integration(apigw2, api_id, "1.0", TimeoutInMillis=5000)
    assert (v1["PayloadFormatVersion"], v1["TimeoutInMillis"], v1["ConnectionType"]) == ("1.0", 5000, "INTERNET")
    integration_id = v1["IntegrationId"]
    updated = apigw2.update_integration(ApiId=api_id, IntegrationId=integration_id, PayloadFormatVersion="2.0")
    assert (updated["PayloadFormatVersion"], updated["TimeoutInMillis"]) == ("2.0", 5000)
    assert body(apigw2.get_integration(ApiId=api_id, IntegrationId=integration_id)) == body(updated)
    assert [i["IntegrationId"] for i in apigw2.get_integrations(ApiId=api_id)["Items"]] == [integration_id]
    status, code, _ = error_of(
        apigw2.create_integration, ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FUNCTION
    )
    assert (status, code) == (400, "BadRequestException")
    status, code, message = error_of(
        apigw2.create_integration,
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=FUNCTION,
        PayloadFormatVersion="2.0",
        TimeoutInMillis=40000,
    )
    assert (status, code) == (400, "BadRequestException") and "40000" in message
    for websocket_only in ("AWS", "HTTP", "MOCK"):
        assert error_of(
            apigw2.create_integration, ApiId=api_id, IntegrationType=websocket_only, PayloadFormatVersion="1.0"
        ) == (400, "BadRequestException", f"Integration type {websocket_only} is not supported for HTTP APIs")
    route = apigw2.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{integration_id}")
    assert error_of(apigw2.delete_integration, ApiId=api_id, IntegrationId=integration_id)[:2] == (
        409,
        "ConflictException",
    )
    apigw2.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    apigw2.delete_integration(ApiId=api_id, IntegrationId=integration_id)
    assert error_of(apigw2.get_integration, ApiId=api_id, IntegrationId=integration_id) == (
        404,
        "NotFoundException",
        f"Invalid Integration identifier specified {integration_id}",
    )


def test_stages_and_deployments(apigw2):
    api_id = apigw2.create_api(Name="s", ProtocolType="HTTP")["ApiId"]
    integration = lambda_integration(apigw2, api_id)
    apigw2.create_route(ApiId=api_id, RouteKey="GET /a", Target=f"integrations/{integration['IntegrationId']}")
    stage = apigw2.create_stage(ApiId=api_id, StageName="prod", StageVariables={"table": "notes"})
    assert (stage["AutoDeploy"], stage["StageVariables"]) == (False, {"table": "notes"})
    assert "DeploymentId" not in stage
    deployment = apigw2.create_deployment(ApiId=api_id, StageName="prod", Description="v1")
    assert (deployment["DeploymentStatus"], deployment["AutoDeployed"], deployment["Description"]) == (
        "DEPLOYED",
        False,
        "v1",
    )
    assert apigw2.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == deployment["DeploymentId"]
    assert apigw2.get_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"])["Description"] == "v1"
    updated = apigw2.update_stage(ApiId=api_id, StageName="prod", StageVariables={"table": "other"})
    assert updated["StageVariables"] == {"table": "other"}
    # AutoDeploy: every change to routes or integrations deploys the stage.
    auto = apigw2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    first = auto["DeploymentId"]
    apigw2.create_route(ApiId=api_id, RouteKey="GET /b", Target=f"integrations/{integration['IntegrationId']}")
    second = apigw2.get_stage(ApiId=api_id, StageName="$default")["DeploymentId"]
    assert second != first and apigw2.get_deployment(ApiId=api_id, DeploymentId=second)["AutoDeployed"] is True
    assert apigw2.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == deployment["DeploymentId"]
    assert sorted(s["StageName"] for s in apigw2.get_stages(ApiId=api_id)["Items"]) == ["$default", "prod"]
    assert error_of(apigw2.create_stage, ApiId=api_id, StageName="prod")[:2] == (409, "ConflictException")
    assert error_of(apigw2.create_stage, ApiId=api_id, StageName="bad name")[:2] == (400, "BadRequestException")
    assert error_of(apigw2.create_stage, ApiId=api_id, StageName="v", StageVariables={"a-b": "x"})[:2] == (
        400,
        "BadRequestException",
    )
    apigw2.delete_stage(ApiId=api_id, StageName="prod")
    assert error_of(apigw2.get_stage, ApiId=api_id, StageName="prod") == (
        404,
        "NotFoundException",
        "Invalid stage identifier specified prod",
    )
    assert error_of(apigw2.get_deployment, ApiId=api_id, DeploymentId="nope00")[:2] == (404, "NotFoundException")


def test_tags_of_apis_and_stages(apigw2):
    api_id = apigw2.create_api(Name="t", ProtocolType="HTTP", Tags={"a": "1"})["ApiId"]
    apigw2.create_stage(ApiId=api_id, StageName="dev", Tags={"s": "1"})
    api_arn = f"arn:aws:apigateway:{REGION}::/apis/{api_id}"
    apigw2.tag_resource(ResourceArn=api_arn, Tags={"b": "2"})
    assert apigw2.get_tags(ResourceArn=api_arn)["Tags"] == {"a": "1", "b": "2"}
    apigw2.untag_resource(ResourceArn=api_arn, TagKeys=["a"])
    assert apigw2.get_api(ApiId=api_id)["Tags"] == {"b": "2"}
    stage_arn = f"{api_arn}/stages/dev"
    apigw2.tag_resource(ResourceArn=stage_arn, Tags={"t": "2"})
    assert apigw2.get_tags(ResourceArn=stage_arn)["Tags"] == {"s": "1", "t": "2"}
    assert error_of(apigw2.get_tags, ResourceArn=f"arn:aws:apigateway:{REGION}::/apis/nope")[:2] == (
        404,
        "NotFoundException",
    )


def test_paging(apigw2):
    ids = [apigw2.create_api(Name=f"p{n}", ProtocolType="HTTP")["ApiId"] for n in range(5)]
    first = apigw2.get_apis(MaxResults="2")
    assert [a["ApiId"] for a in first["Items"]] == ids[:2]
    rest = apigw2.get_apis(MaxResults="10", NextToken=first["NextToken"])
    assert [a["ApiId"] for a in rest["Items"]] == ids[2:] and "NextToken" not in rest
    assert [a["ApiId"] for p in apigw2.get_paginator("get_apis").paginate() for a in p["Items"]] == ids


def test_websocket_apis_are_refused(apigw2):
    assert error_of(apigw2.create_api, Name="ws", ProtocolType="WEBSOCKET")[:2] == (400, "BadRequestException")


def test_rest_and_http_apis_live_side_by_side(stack, apigw2):
    rest = stack.client("apigateway").create_rest_api(name="rest")
    http = apigw2.create_api(Name="http", ProtocolType="HTTP")
    assert rest["id"] != http["ApiId"]
    assert [a["id"] for a in stack.client("apigateway").get_rest_apis()["items"]] == [rest["id"]]
    assert [a["ApiId"] for a in apigw2.get_apis()["Items"]] == [http["ApiId"]]
    assert error_of(apigw2.get_api, ApiId=rest["id"])[:2] == (404, "NotFoundException")


def test_state_survives_a_restart_with_data_dir(tmp_path):
    process = RustStackProcess.start("--services", "apigateway,apigatewayv2", "--data-dir", str(tmp_path))
    try:
        client = process.client("apigatewayv2")
        api_id = client.create_api(Name="kept", ProtocolType="HTTP", Target=FUNCTION)["ApiId"]
        client.create_stage(ApiId=api_id, StageName="prod", StageVariables={"v": "1"})
        client.create_deployment(ApiId=api_id, StageName="prod")
        authorizer_id = client.create_authorizer(
            ApiId=api_id,
            Name="jwt",
            AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Issuer": "https://issuer.example"},
        )["AuthorizerId"]
        client.update_api(ApiId=api_id, CorsConfiguration={"AllowOrigins": ["https://app.example"]})
    finally:
        process.stop()
    process = RustStackProcess.start("--services", "apigateway,apigatewayv2", "--data-dir", str(tmp_path))
    try:
        client = process.client("apigatewayv2")
        assert client.get_api(ApiId=api_id)["Name"] == "kept"
        assert client.get_stage(ApiId=api_id, StageName="prod")["StageVariables"] == {"v": "1"}
        # The authorizer redeployed the AutoDeploy stage.
        assert len(client.get_deployments(ApiId=api_id)["Items"]) == 3
        assert [r["RouteKey"] for r in client.get_routes(ApiId=api_id)["Items"]] == ["$default"]
        assert client.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)["Name"] == "jwt"
        assert client.get_api(ApiId=api_id)["CorsConfiguration"] == {"AllowOrigins": ["https://app.example"]}
    finally:
        process.stop()
