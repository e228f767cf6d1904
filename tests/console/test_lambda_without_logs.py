"""
The Lambda pages of a RustStack that runs no CloudWatch Logs: the function's
page says there is no log, its tail is a 404, the rest works.
"""

from __future__ import annotations

from tests.awslambda.functions import ECHO, create
from tests.console.functions_and_apis import get, post
from tests.stacks import ruststack_fixture

stack = ruststack_fixture("--services", "lambda")


def test_no_logs(stack) -> None:
    client = stack.client("lambda")
    create(client, "quiet", ECHO)
    status, page, _ = get(stack, "/_ruststack/lambda/functions/quiet")
    assert status == 200
    assert "CloudWatch Logs is not running" in page and 'id="tail"' not in page
    assert get(stack, "/_ruststack/lambda/functions/quiet/tail")[0] == 404
    status, page = post(stack, "/_ruststack/lambda/functions/quiet/invoke", {"payload": '{"print": "still runs"}'})
    assert status == 200 and "still runs" in page
