"""
How S3 names an account to its users: a canonical user id, and the C{Owner}
element of listings and ACLs.
"""

from __future__ import annotations

import hashlib

from ruststack.s3 import wire


def canonical_user_id(account: str) -> str:
    """
    A stable 64-hex-digit canonical user id for an account.
    """
    return hashlib.sha256(f"ruststack:{account}".encode()).hexdigest()


def owner_xml(account: str, tag: str = "Owner") -> str:
    # No DisplayName: S3 stopped returning it on November 21, 2025
    # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Owner.html).
    return f"<{tag}>" + wire.element("ID", canonical_user_id(account)) + f"</{tag}>"
