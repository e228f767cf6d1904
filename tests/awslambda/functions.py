"""
Handlers the Lambda tests deploy, how to package and create them, and the
stored function the unit tests of names and policies read.
"""

from __future__ import annotations

import io
import textwrap
import zipfile
from collections.abc import Iterable

from ruststack.awslambda.functions import FunctionCode, LambdaFunction
from tests.roles import UNCHECKED_ROLE, execution_role

ROLE = UNCHECKED_ROLE  # what a stored function's record names

ECHO = """
import os, time, uuid

ENVIRONMENT_ID = uuid.uuid4().hex
CALLS = 0

def handler(event, context):
    global CALLS
    CALLS += 1
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("print"):
        print(event["print"])
    return {
        "event": event,
        "calls": CALLS,
        "environment_id": ENVIRONMENT_ID,
        "function_name": context.function_name,
        "function_arn": context.invoked_function_arn,
        "request_id": context.aws_request_id,
        "memory_limit": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "TZ", "MY_"))},
        "cwd": os.getcwd(),
    }
"""

RAISES = """
def handler(event, context):
    raise ValueError("something went wrong: " + str(event.get("why")))
"""

IMPORT_ERROR = """
import module_that_does_not_exist

def handler(event, context):
    return "never"
"""

CRASHES = """
import os

def handler(event, context):
    print("about to exit")
    os._exit(3)
"""

SLEEPS = """
import time

def handler(event, context):
    time.sleep(event.get("seconds", 10))
    return "woke up"
"""


def package(files: dict[str, str]) -> bytes:
    """
    A deployment zip holding C{files} (name -> Python source).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in files.items():
            # A fixed time: the same files make the same bytes, whenever packaged.
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, textwrap.dedent(source), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def create_from(client, name: str, code: dict, handler: str = "app.handler", **settings):
    """
    Send CreateFunction for C{code} (its C{ZipFile} bytes or S3 location) as
    it is, Python 3.11 unless C{settings} say otherwise, with an execution
    role of the client's account; without waiting.
    """
    settings.setdefault("Runtime", "python3.11")
    settings.setdefault("Role", execution_role(client))
    return client.create_function(FunctionName=name, Handler=handler, Code=code, **settings)


def create(client, name: str, source: str, handler: str = "app.handler", **settings):
    """
    Create a function whose C{app.py} is C{source} and wait until it is Active.
    """
    settings.setdefault("Timeout", 10)
    created = create_from(client, name, {"ZipFile": package({"app.py": source})}, handler, **settings)
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    return created


def stored(region: str, policy: Iterable[dict] = ()) -> LambdaFunction:
    """
    The record of function C{fn} of account 111111111111 in C{region}, with
    C{policy} as its resource policy.
    """
    return LambdaFunction(
        account="111111111111",
        region=region,
        name="fn",
        runtime="python3.11",
        role="arn:aws:iam::111111111111:role/r",
        handler="app.handler",
        code=FunctionCode(sha256="x", size=1, key="k"),
        policy=list(policy),
    )
