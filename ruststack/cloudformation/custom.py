"""
Lambda-backed custom resources (C{AWS::CloudFormation::CustomResource},
C{Custom::*}): the ServiceToken function is invoked with CloudFormation's
documented request; it answers by PUTting its response to a presigned S3
URL (ResponseURL) in RustStack's S3, which CloudFormation then reads.

The responses go to a bucket of the stack's own account,
C{cfn-responses-<account>-<region>}, made on first use; each response object
is deleted once read.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ruststack.cloudformation.provisioners.base import Made, Provisioner, ResourceContext, ResourceFailed

_RESPONSE_WAIT = 0.05
_RESPONSE_STEPS = 200  # 10 s after the function returned
_URL_SECONDS = 7200


def response_bucket(account: str, region: str) -> str:
    return f"cfn-responses-{account}-{region}"


class CustomResources(Provisioner):
    type_name = "AWS::CloudFormation::CustomResource"
    replace_on = frozenset({"ServiceToken"})

    def __init__(self, edge_url: Callable[[], str | None], credentials: Callable[[str], Credentials]) -> None:
        self.edge_url = edge_url
        self.credentials = credentials

    def _presigned_put(self, ctx: ResourceContext, bucket: str, key: str) -> str:
        request = AWSRequest(method="PUT", url=f"{self.edge_url()}/{bucket}/{key}")
        S3SigV4QueryAuth(self.credentials(ctx.account), "s3", ctx.region, expires=_URL_SECONDS).add_auth(request)
        return request.url

    async def _bucket(self, ctx: ResourceContext) -> str:
        bucket = response_bucket(ctx.account, ctx.region)
        params: dict[str, Any] = {"Bucket": bucket}
        if ctx.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
        try:
            await ctx.call("s3", "CreateBucket", params)
        except ResourceFailed as e:
            if "BucketAlreadyOwnedByYou" not in str(e):
                raise
        return bucket

    async def _request(
        self,
        ctx: ResourceContext,
        request_type: str,
        props: Mapping[str, Any],
        physical_id: str | None = None,
        old: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        token = props.get("ServiceToken")
        if not token:
            raise ResourceFailed("Property validation failure: [The property {/ServiceToken} is required]")
        bucket = await self._bucket(ctx)
        request_id = str(uuid.uuid4())
        key = f"{ctx.stack_id.rpartition('/')[2]}|{ctx.logical_id}|{request_id}"
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": token,
            "ResponseURL": self._presigned_put(ctx, bucket, key),
            "StackId": ctx.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": ctx.logical_id,
            "ResourceType": ctx.extra.get("type", self.type_name),
            "ResourceProperties": dict(props),
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old is not None:
            event["OldResourceProperties"] = dict(old)
        invoked = await ctx.call(
            "lambda",
            "Invoke",
            {"FunctionName": token, "InvocationType": "RequestResponse", "Payload": json.dumps(event)},
        )
        for _ in range(_RESPONSE_STEPS):
            try:
                answer = await ctx.call("s3", "GetObject", {"Bucket": bucket, "Key": key})
            except ResourceFailed as e:
                if "NoSuchKey" not in str(e):
                    raise
                if invoked.get("FunctionError"):
                    break
                await ctx.sleep(_RESPONSE_WAIT)
                continue
            await ctx.call("s3", "DeleteObject", {"Bucket": bucket, "Key": key})
            body = answer.get("Body", b"")
            try:
                response = json.loads(body if isinstance(body, bytes) else body.read())
            except ValueError:
                raise ResourceFailed("Invalid response object: the response is not JSON") from None
            if not isinstance(response, dict):
                raise ResourceFailed("Invalid response object: the response is not JSON")
            if response.get("Status") != "SUCCESS":
                raise ResourceFailed(str(response.get("Reason") or "Custom resource failed"))
            return response
        raise ResourceFailed(
            "CloudFormation did not receive a response from your Custom Resource. Please check your logs for"
            f" requestId [{request_id}]."
        )

    async def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> Made:
        response = await self._request(ctx, "Create", props)
        physical = str(response.get("PhysicalResourceId") or ctx.physical_name(128))
        return Made(physical, dict(response.get("Data") or {}))

    async def update(self, ctx: ResourceContext, current: Made, old: Mapping[str, Any], new: Mapping[str, Any]) -> Made:
        response = await self._request(ctx, "Update", new, current.physical_id, old)
        physical = str(response.get("PhysicalResourceId") or current.physical_id)
        return Made(physical, dict(response.get("Data") or {}))

    async def delete(self, ctx: ResourceContext, current: Made, props: Mapping[str, Any]) -> None:
        await self._request(ctx, "Delete", props, current.physical_id)
