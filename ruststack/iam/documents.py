"""
Policy documents: kept as the text the client sent, checked only as far as
IAM refuses documents before judging their grammar, and answered
URL-encoded.

IAM answers every policy document (GetRole's AssumeRolePolicyDocument,
GetRolePolicy's PolicyDocument, GetPolicyVersion's Document...) as the text
it was given, percent-encoded as RFC 3986 says ("The policy document
returned in this structure is URL-encoded compliant with RFC 3986"); botocore
decodes it and reads the JSON (its C{json_decode_policies} handler), so boto3
users see a dict and the AWS CLI prints JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from ruststack.aws.errors import AwsError

INVALID_JSON = "This policy contains invalid Json"
SYNTAX_ERRORS = "Syntax errors in policy."
PRINCIPAL_IN_IDENTITY_POLICY = "Policy document should not specify a principal."
_WHITESPACE = re.compile(r"\s+")


def malformed(message: str) -> AwsError:
    return AwsError("MalformedPolicyDocument", message, 400)


def encoded(document: str) -> str:
    """
    A document as IAM answers it: every character but RFC 3986's unreserved
    ones (letters, digits, C{-._~}) percent-encoded from its UTF-8 bytes.
    """
    return quote(document, safe="")


def _statements(policy: Any) -> list[Any]:
    if not isinstance(policy, dict) or "Statement" not in policy:
        raise malformed(SYNTAX_ERRORS)
    statements = policy["Statement"]
    statements = statements if isinstance(statements, list) else [statements]
    if not all(isinstance(statement, dict) for statement in statements):
        raise malformed(SYNTAX_ERRORS)
    return statements


def check(document: str, identity: bool = True) -> None:
    """
    Refuse a document IAM refuses before looking at what it grants:
    C{MalformedPolicyDocument} for text that is not JSON, for JSON that is
    not a policy (an object with a C{Statement} of objects) and, for an
    identity policy (C{identity}: not a role's trust policy), one that names
    a principal.
    """
    try:
        policy = json.loads(document)
    except ValueError:
        raise malformed(INVALID_JSON) from None
    statements = _statements(policy)
    if identity and any("Principal" in s or "NotPrincipal" in s for s in statements):
        raise malformed(PRINCIPAL_IN_IDENTITY_POLICY)


def size(document: str) -> int:
    """
    A document's size as IAM's quotas count it: white space is not counted.
    """
    return len(_WHITESPACE.sub("", document))
