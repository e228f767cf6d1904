"""
GetAccount and UpdateAccount: API Gateway's settings of the caller's account
in the caller's region (the CloudWatch Logs role, the features, the account
throttle), stored and returned, not enforced.
"""

from __future__ import annotations

import re

from ruststack.apigateway.calls import Call, Reply, invalid_patch, patch_operations
from ruststack.apigateway.store import bad_request

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
# The features an account may switch on (usage plans are on for accounts
# made since 2016; the patch still takes them).
_FEATURES = ("UsagePlans",)


def get_account(call: Call) -> Reply:
    return 200, call.store.regional.account(call.account, call.region).to_json()


def update_account(call: Call) -> Reply:
    regional = call.store.regional
    settings = regional.account(call.account, call.region)
    for op, path, value in patch_operations(call):
        if path == "/cloudwatchRoleArn" and op == "replace":
            if value and not _ROLE_ARN.match(str(value)):
                raise bad_request("The role ARN is not well formed")
            settings.cloudwatch_role_arn = value or None
        elif path == "/features" and op in ("add", "remove"):
            if value not in _FEATURES:
                raise bad_request(f"Invalid feature specified: {value}")
            if op == "add" and value not in settings.features:
                settings.features.append(value)
            elif op == "remove" and value in settings.features:
                settings.features.remove(value)
        else:
            allowed = "/cloudwatchRoleArn" if op == "replace" else "/features"
            raise invalid_patch(op, path, allowed)
    regional.accounts[(call.account, call.region)] = settings
    regional.save()
    return 200, settings.to_json()


OPERATIONS = {"GetAccount": get_account, "UpdateAccount": update_account}
