"""
One error type, three wire formats (S3's through the protocol layer).
"""

import json
from xml.etree import ElementTree

from twisted.web.test.requesthelper import DummyRequest

from ruststack.aws import errors, identity
from ruststack.s3 import errors as s3_errors


def test_s3_xml_error():
    request = DummyRequest([b"bucket", b"key"])
    request.method = b"GET"
    error = errors.AwsError("NoSuchKey", "The specified key does not exist.", 404, {"Key": "a&b"})
    body = s3_errors.render_error(request, error)
    assert request.responseCode == 404
    root = ElementTree.fromstring(body)
    assert root.tag == "Error"
    assert [child.tag for child in root] == ["Code", "Message", "Key", "RequestId", "HostId"]
    assert root.findtext("Key") == "a&b"
    request_ids = request.responseHeaders.getRawHeaders(b"x-amz-request-id")
    assert request_ids is not None
    assert root.findtext("RequestId") == request_ids[0].decode()
    assert request.responseHeaders.getRawHeaders(b"x-amz-id-2")


def test_s3_head_error_has_no_body():
    request = DummyRequest([b"bucket"])
    request.method = b"HEAD"
    assert s3_errors.render_error(request, errors.AwsError("NoSuchBucket", "x", 404)) == b""
    assert request.responseCode == 404


def test_json_error():
    request = DummyRequest([b""])
    error = errors.AwsError("ResourceNotFoundException", "Requested resource not found", 400)
    body = json.loads(errors.write_json_error(request, error, "com.amazonaws.dynamodb.v20120810#"))
    assert body == {
        "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
        "message": "Requested resource not found",
    }
    assert request.responseHeaders.getRawHeaders(b"x-amzn-requestid")


def test_rest_json_error():
    request = DummyRequest([b""])
    error = errors.AwsError("ResourceNotFoundException", "Function not found: f", 404)
    body = json.loads(errors.write_rest_json_error(request, error))
    assert body == {"Type": "User", "message": "Function not found: f"}
    assert request.responseHeaders.getRawHeaders(b"x-amzn-errortype") == [b"ResourceNotFoundException"]
    assert request.responseCode == 404


def test_auth_errors_by_protocol():
    unknown = identity.AuthenticationError(identity.AuthFailure.UNKNOWN_KEY, "AKIDX")
    bad = identity.AuthenticationError(identity.AuthFailure.BAD_SIGNATURE)
    s3 = s3_errors.auth_error(unknown)
    assert (s3.code, s3.status, s3.fields) == ("InvalidAccessKeyId", 403, {"AWSAccessKeyId": "AKIDX"})
    assert s3_errors.auth_error(bad).code == "SignatureDoesNotMatch"
    dynamodb = errors.json_auth_error(unknown, 400)
    assert (dynamodb.code, dynamodb.status) == ("UnrecognizedClientException", 400)
    assert errors.json_auth_error(bad, 403).code == "InvalidSignatureException"
