"""
The classic Flask-on-Lambda pattern end to end: the example Flask app
(examples/flask_app, deployed by its deploy.py behind API Gateway) stores an
upload in its bucket; the bucket's event notification invokes a second
function, which writes a "thumbnail" of it to another bucket.
"""

from __future__ import annotations

import time

import requests
from botocore.exceptions import ClientError

from tests.apigateway import flask_app
from tests.awslambda.functions import create
from tests.s3.test_notifications import THUMBNAILER, allow_s3, configure
from tests.stacks import ruststack_fixture

SERVICES = ("s3", "dynamodb", "lambda", "apigateway", "iam")
stack = ruststack_fixture("--services", ",".join(SERVICES))


def test_upload_through_the_api_makes_a_thumbnail(stack):
    deploy = flask_app.load("deploy", {})
    deployed = deploy.deploy(stack.endpoint_url, stack.region, name="notify-app", code=deploy.package())
    s3, lambda_client = stack.client("s3"), stack.client("lambda")
    s3.create_bucket(Bucket="notify-app-thumbs")
    thumbnailer = create(
        lambda_client, "thumbnailer", THUMBNAILER, Environment={"Variables": {"THUMBS": "notify-app-thumbs"}}
    )["FunctionArn"]
    allow_s3(lambda_client, thumbnailer, deployed.bucket_name)
    configure(s3, deployed.bucket_name, thumbnailer, events=("s3:ObjectCreated:*",), rules=[("suffix", ".png")])

    answer = requests.put(
        deployed.url + "files/kitten.png", data=b"\x89png-bytes", headers={"Content-Type": "image/png"}, timeout=60
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"name": "kitten.png", "size": 10}
    requests.put(deployed.url + "files/notes.txt", data=b"not a picture", timeout=60).raise_for_status()

    deadline = time.monotonic() + 30
    while True:
        try:
            thumbnail = s3.get_object(Bucket="notify-app-thumbs", Key="thumbnails/kitten.png")["Body"].read()
            break
        except ClientError:
            assert time.monotonic() < deadline, "no thumbnail"
            time.sleep(0.1)
    assert thumbnail == b"SETYB-GNP\x89"
    time.sleep(0.3)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="notify-app-thumbs")["Contents"]]
    assert keys == ["thumbnails/kitten.png"]  # the .txt upload matched no rule
