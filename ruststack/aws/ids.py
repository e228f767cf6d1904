"""
Request ids and timestamps in the formats AWS uses.
"""

from __future__ import annotations

import base64
import os
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime


def request_id() -> str:
    """
    A JSON-protocol request id (C{x-amzn-RequestId}): a UUID4.
    """
    return str(uuid.uuid4())


def s3_request_id() -> str:
    """
    S3's C{x-amz-request-id}: 16 upper-case hex digits.
    """
    return os.urandom(8).hex().upper()


def s3_host_id() -> str:
    """
    S3's C{x-amz-id-2}: an opaque base64 token.
    """
    return base64.b64encode(os.urandom(48)).decode()


def http_date(when: float) -> str:
    """
    RFC 7231 IMF-fixdate (C{Last-Modified}, C{Date}): C{Tue, 24 Nov 2026 21:23:12 GMT}.
    """
    return format_datetime(datetime.fromtimestamp(int(when), UTC), usegmt=True)


def iso8601(when: float) -> str:
    """
    ISO 8601 with milliseconds and a C{Z}, as S3's XML listings use.
    """
    moment = datetime.fromtimestamp(when, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def lambda_timestamp(when: float) -> str:
    """
    Lambda's C{LastModified}: C{2026-11-24T21:23:12.000+0000}.
    """
    moment = datetime.fromtimestamp(when, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
