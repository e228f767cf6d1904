"""
Website endpoints over real sockets: a bucket configured with boto3 (and
the AWS CLI) served as S3's website endpoints serve it, by host
(C{<bucket>.s3-website.<region>.localhost:<port>}, C{s3-website-<region>})
and by the path form C{/_s3-website/<bucket>/}.
"""

from __future__ import annotations

import http.client
import json

import pytest

from tests.cli import needs_cli, run_aws


def public(s3, bucket: str, list_bucket: bool = False) -> None:
    """
    Make C{bucket} readable by anyone, as AWS's tutorial does: no public
    access block, a policy granting s3:GetObject to C{*}.
    """
    s3.delete_public_access_block(Bucket=bucket)
    objects = f"arn:aws:s3:::{bucket}/*"
    statements = [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": objects}]
    if list_bucket:
        statements.append(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}
        )
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def fetch(stack, bucket: str, path: str, method: str = "GET", form: str = "host", headers=None):
    """
    C{path} of C{bucket}'s website: (status, headers, body).
    """
    address = stack.endpoint_url.split("//")[1]
    port = address.rsplit(":", 1)[1]
    sent = dict(headers or {})
    if form == "host":
        sent["Host"] = f"{bucket}.s3-website.us-east-1.localhost:{port}"
        target = path
    elif form == "dash":
        sent["Host"] = f"{bucket}.s3-website-us-east-1.localhost:{port}"
        target = path
    else:
        target = f"/_s3-website/{bucket}{path}"
    connection = http.client.HTTPConnection(address, timeout=10)
    try:
        connection.request(method, target, headers=sent)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.fixture
def site(s3, bucket):
    public(s3, bucket)
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}},
    )
    for key, body in (("index.html", b"home"), ("docs/index.html", b"docs"), ("error.html", b"custom error")):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/html")
    return bucket


@pytest.mark.parametrize("form", ["host", "dash", "path"])
def test_index_documents_for_the_root_and_folders(stack, site, form):
    status, headers, body = fetch(stack, site, "/", form=form)
    assert (status, headers["content-type"], body) == (200, "text/html", b"home")
    assert fetch(stack, site, "/docs/", form=form)[2] == b"docs"
    assert fetch(stack, site, "/index.html", form=form)[2] == b"home"


def test_a_folder_without_its_slash_is_redirected_to_it(stack, site):
    status, headers, _ = fetch(stack, site, "/docs")
    assert (status, headers["location"]) == (302, "/docs/")
    status, headers, _ = fetch(stack, site, "/docs", form="path")
    assert (status, headers["location"]) == (302, f"/_s3-website/{site}/docs/")


def test_head_answers_without_a_body(stack, site):
    status, headers, body = fetch(stack, site, "/", method="HEAD")
    assert (status, headers["content-length"], body) == (200, "4", b"")


def test_the_error_document_comes_with_the_error_status(stack, s3, site):
    # Without s3:ListBucket for anyone, a missing key is 403, as on AWS.
    status, headers, body = fetch(stack, site, "/missing.html")
    assert (status, headers["content-type"], body) == (403, "text/html", b"custom error")
    public(s3, site, list_bucket=True)
    status, _, body = fetch(stack, site, "/missing.html")
    assert (status, body) == (404, b"custom error")


def test_errors_are_html_pages(stack, s3, bucket):
    public(s3, bucket, list_bucket=True)
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    status, headers, body = fetch(stack, bucket, "/nothing")
    assert (status, headers["content-type"]) == (404, "text/html; charset=utf-8")
    page = body.decode()
    assert page.startswith("<html>\n<head><title>404 Not Found</title></head>")
    assert "<li>Code: NoSuchKey</li>" in page and "<li>Message: The specified key does not exist.</li>" in page
    assert "<li>Key: nothing</li>" in page
    assert f"<li>RequestId: {headers['x-amz-request-id']}</li>" in page


def test_a_missing_error_document_is_reported_in_the_page(stack, s3, bucket):
    public(s3, bucket, list_bucket=True)
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"}},
    )
    status, _, body = fetch(stack, bucket, "/nothing")
    assert status == 404
    page = body.decode()
    assert "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>" in page
    assert "<li>Key: 404.html</li>" in page


def test_no_bucket_and_no_website_configuration(stack, s3, bucket):
    status, _, body = fetch(stack, "no-such-bucket-here", "/")
    assert status == 404 and b"<li>Code: NoSuchBucket</li>" in body and b"<li>BucketName: no-such-bucket-here" in body
    status, _, body = fetch(stack, bucket, "/")
    assert status == 404 and b"<li>Code: NoSuchWebsiteConfiguration</li>" in body


def test_only_what_anyone_may_read_is_served(stack, s3, bucket):
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"home")
    # No policy: even the owner's objects are 403 on the website endpoint.
    status, headers, body = fetch(stack, bucket, "/")
    assert (status, headers["content-type"]) == (403, "text/html; charset=utf-8")
    assert b"<li>Code: AccessDenied</li>" in body
    # A public policy while RestrictPublicBuckets (on for every new bucket) stands: still 403.
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True, "BlockPublicPolicy": False}
    )
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    assert fetch(stack, bucket, "/")[0] == 403
    s3.delete_public_access_block(Bucket=bucket)
    assert fetch(stack, bucket, "/")[:3:2] == (200, b"home")


def test_public_read_acls_are_served(stack, s3, bucket):
    """
    Where ACLs are enabled, an object whose ACL grants AllUsers READ is
    served to anyone, as by S3's website endpoint; others stay 403, and
    IgnorePublicAcls takes the grant back.
    """
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"home", ACL="public-read", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="private.html", Body=b"mine")
    assert fetch(stack, bucket, "/")[:3:2] == (200, b"home")
    assert fetch(stack, bucket, "/private.html")[0] == 403
    # Without READ on the bucket, a missing page is not told apart from a forbidden one.
    assert b"<li>Code: AccessDenied</li>" in fetch(stack, bucket, "/missing.html")[2]
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert fetch(stack, bucket, "/")[0] == 403


def test_only_get_and_head(stack, site):
    status, headers, body = fetch(stack, site, "/", method="POST")
    assert (status, headers["content-type"]) == (405, "text/html; charset=utf-8")
    assert b"<li>Code: MethodNotAllowed</li>" in body and b"<li>Method: POST</li>" in body


def test_redirect_all_requests(stack, s3, bucket):
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={"RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "https"}},
    )
    status, headers, _ = fetch(stack, bucket, "/a/b.html")
    assert (status, headers["location"]) == (301, "https://example.com/a/b.html")


def test_routing_rules(stack, s3, site):
    s3.put_bucket_website(
        Bucket=site,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "RoutingRules": [
                {"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": {"ReplaceKeyPrefixWith": "docs/"}},
                {
                    "Condition": {"KeyPrefixEquals": "away/"},
                    "Redirect": {"HostName": "example.com", "Protocol": "https", "HttpRedirectCode": "307"},
                },
                {"Condition": {"KeyPrefixEquals": "one"}, "Redirect": {"ReplaceKeyWith": "index.html"}},
                {"Condition": {"HttpErrorCodeReturnedEquals": "403"}, "Redirect": {"ReplaceKeyWith": "sorry.html"}},
            ],
        },
    )
    port = stack.endpoint_url.rsplit(":", 1)[1]
    host = f"{site}.s3-website.us-east-1.localhost:{port}"
    status, headers, _ = fetch(stack, site, "/old/page.html")
    assert (status, headers["location"]) == (301, f"http://{host}/docs/page.html")
    status, headers, _ = fetch(stack, site, "/away/x")
    assert (status, headers["location"]) == (307, "https://example.com/away/x")
    assert fetch(stack, site, "/onetwo")[1]["location"] == f"http://{host}/index.html"
    status, headers, _ = fetch(stack, site, "/gone.html")
    assert (status, headers["location"]) == (301, f"http://{host}/sorry.html")
    # Objects found answer as they are.
    assert fetch(stack, site, "/docs/")[:3:2] == (200, b"docs")
    # The path form keeps its path.
    status, headers, _ = fetch(stack, site, "/old/page.html", form="path")
    assert headers["location"].endswith(f"/_s3-website/{site}/docs/page.html")


def test_objects_redirect_with_website_redirect_location(stack, s3, site):
    s3.put_object(Bucket=site, Key="moved.html", Body=b"", WebsiteRedirectLocation="/docs/")
    s3.put_object(Bucket=site, Key="out.html", Body=b"", WebsiteRedirectLocation="https://example.com/")
    assert s3.head_object(Bucket=site, Key="moved.html")["WebsiteRedirectLocation"] == "/docs/"
    status, headers, _ = fetch(stack, site, "/moved.html")
    assert (status, headers["location"]) == (301, "/docs/")
    assert fetch(stack, site, "/out.html")[1]["location"] == "https://example.com/"


def test_ranges_and_conditions_as_the_api(stack, site):
    status, headers, body = fetch(stack, site, "/", headers={"Range": "bytes=1-2"})
    assert (status, body) == (206, b"om")
    assert fetch(stack, site, "/", headers={"If-None-Match": headers["etag"]})[0] == 304


def test_served_to_unsigned_requests_under_auth_verify(verifying_stack):
    s3 = verifying_stack.client("s3")
    s3.create_bucket(Bucket="verified-site")
    public(s3, "verified-site")
    s3.put_bucket_website(Bucket="verified-site", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_object(Bucket="verified-site", Key="index.html", Body=b"hello")
    assert fetch(verifying_stack, "verified-site", "/")[:3:2] == (200, b"hello")
    assert fetch(verifying_stack, "verified-site", "/", form="path")[:3:2] == (200, b"hello")


@needs_cli
def test_aws_cli_website_command(stack, s3, bucket, tmp_path):
    public(s3, bucket)
    (tmp_path / "index.html").write_text("<p>cli</p>")
    run_aws(stack.endpoint_url, "s3", "cp", str(tmp_path / "index.html"), f"s3://{bucket}/index.html")
    run_aws(stack.endpoint_url, "s3", "website", f"s3://{bucket}", "--index-document", "index.html")
    assert s3.get_bucket_website(Bucket=bucket)["IndexDocument"] == {"Suffix": "index.html"}
    status, headers, body = fetch(stack, bucket, "/")
    assert (status, headers["content-type"], body) == (200, "text/html", b"<p>cli</p>")
