"""
A small notes service: a Flask app as it would run on AWS Lambda behind an
API Gateway REST API, keeping notes in DynamoDB and attachments in S3.

Nothing here knows about RustStack: the table and bucket come from
TABLE_NAME and BUCKET_NAME, and boto3 finds its endpoint the usual way
(AWS_ENDPOINT_URL when set, AWS otherwise).
"""

from __future__ import annotations

import os

import boto3
from apig_wsgi import make_lambda_handler
from botocore.exceptions import ClientError
from flask import Flask, Response, abort, jsonify, make_response, request


def create_app(table_name: str | None = None, bucket_name: str | None = None) -> Flask:
    app = Flask(__name__)
    # Let an unhandled exception leave the handler: Lambda reports it as a
    # function error (logged with its stack trace) and API Gateway answers 502.
    app.config["PROPAGATE_EXCEPTIONS"] = True
    table = boto3.resource("dynamodb").Table(table_name or os.environ["TABLE_NAME"])
    s3 = boto3.client("s3")
    bucket = bucket_name or os.environ["BUCKET_NAME"]

    @app.get("/")
    def index():
        return jsonify(service="notes", routes=["/notes", "/notes/<id>", "/files/<name>", "/search", "/hello/<name>"])

    @app.get("/notes")
    def list_notes():
        notes = sorted(table.scan()["Items"], key=lambda note: note["id"])
        tags = request.args.getlist("tag")
        if tags:
            notes = [n for n in notes if set(tags) <= set(n.get("tags", []))]
        return jsonify(notes=notes)

    @app.put("/notes/<note_id>")
    def put_note(note_id: str):
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            return jsonify(error="a note needs a title"), 400
        note = {"id": note_id, "title": body["title"], "text": body.get("text", ""), "tags": body.get("tags", [])}
        table.put_item(Item=note)
        return jsonify(note), 201

    @app.get("/notes/<note_id>")
    def get_note(note_id: str):
        item = table.get_item(Key={"id": note_id}).get("Item")
        if item is None:
            abort(404)
        return jsonify(item)

    @app.delete("/notes/<note_id>")
    def delete_note(note_id: str):
        table.delete_item(Key={"id": note_id})
        return "", 204

    @app.put("/files/<name>")
    def upload(name: str):
        data = request.get_data()
        content_type = request.content_type or "application/octet-stream"
        s3.put_object(Bucket=bucket, Key=name, Body=data, ContentType=content_type)
        return jsonify(name=name, size=len(data)), 201

    @app.post("/files")
    def upload_form():
        # A browser-style multipart/form-data upload: one file field.
        uploaded = request.files.get("file")
        if uploaded is None or not uploaded.filename:
            return jsonify(error="send a file in the 'file' field"), 400
        data = uploaded.read()
        content_type = uploaded.mimetype or "application/octet-stream"
        s3.put_object(Bucket=bucket, Key=uploaded.filename, Body=data, ContentType=content_type)
        return jsonify(name=uploaded.filename, size=len(data), note=request.form.get("note", "")), 201

    @app.get("/files/<name>")
    def download(name: str):
        try:
            stored = s3.get_object(Bucket=bucket, Key=name)
        except ClientError as e:
            if e.response["Error"]["Code"] == "NoSuchKey":
                abort(404)
            raise
        return Response(stored["Body"].read(), content_type=stored["ContentType"])

    @app.get("/search")
    def search():
        return jsonify(q=request.args.getlist("q"), page=request.args.get("page", "1"))

    @app.get("/hello/<name>")
    def hello(name: str):
        response = make_response(f"Hello, {name}!\n")
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
        response.headers["X-Greeting-Length"] = str(len(name))
        return response

    @app.post("/session")
    def login():
        response = jsonify(user=request.get_json(force=True).get("user"))
        response.set_cookie("session", "s3cr3t", httponly=True)
        response.set_cookie("theme", "dark")
        return response

    @app.get("/session")
    def whoami():
        return jsonify(session=request.cookies.get("session"), theme=request.cookies.get("theme"))

    @app.get("/boom")
    def boom():
        raise RuntimeError("the error route fails, as it should")

    return app


app = create_app()
# binary_support: non-text responses (the files) go back base64-encoded, as
# API Gateway expects them; the REST API lists */* in binaryMediaTypes.
handler = make_lambda_handler(app, binary_support=True)
