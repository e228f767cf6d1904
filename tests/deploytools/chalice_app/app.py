"""
A small Chalice app for the end-to-end test of `chalice deploy` against
RustStack: notes kept in a DynamoDB table, files in an S3 bucket. Nothing in
it knows about RustStack: boto3 reaches it through the AWS_ENDPOINT_URL that
RustStack's Lambda sets in the function's environment.
"""

import os

import boto3
from chalice import Chalice, NotFoundError, Response

app = Chalice(app_name="ruststack-notes")
app.log.setLevel("INFO")

GREETING = "hello"

_table = None
_s3 = None


def table():
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    return _table


def s3():
    global _s3
    if _s3 is None:
        _s3 = boto3.client("s3")
    return _s3


@app.route("/")
def index():
    return {"greeting": GREETING}


@app.route("/notes/{note_id}", methods=["PUT"])
def put_note(note_id):
    body = app.current_request.json_body or {}
    item = {"id": note_id, "title": str(body.get("title", ""))}
    table().put_item(Item=item)
    app.log.info("stored note %s", note_id)
    return item


@app.route("/notes/{note_id}", methods=["GET"])
def get_note(note_id):
    item = table().get_item(Key={"id": note_id}).get("Item")
    if item is None:
        raise NotFoundError(f"no note {note_id}")
    return item


@app.route("/files/{name}", methods=["PUT"], content_types=["text/plain"])
def put_file(name):
    s3().put_object(Bucket=os.environ["BUCKET_NAME"], Key=name, Body=app.current_request.raw_body)
    return {"stored": name}


@app.route("/files/{name}", methods=["GET"])
def get_file(name):
    found = s3().get_object(Bucket=os.environ["BUCKET_NAME"], Key=name)
    return Response(body=found["Body"].read().decode(), headers={"Content-Type": "text/plain"})
