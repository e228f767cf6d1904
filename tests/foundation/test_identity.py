"""
Access key -> account, credential scope -> region, credentials files.
"""

import pytest

from ruststack.aws import identity, sigv4


def signature(access_key: str, region: str = "ap-south-1") -> sigv4.Signature:
    return sigv4.Signature(
        scope=sigv4.CredentialScope(access_key, "20261124", region, "s3"),
        signed_headers=("host",),
        signature="0" * 64,
        amz_date="20261124T000000Z",
    )


def test_numeric_key_is_its_account():
    auth = identity.Authenticator("000000000000", "us-east-1")
    caller = auth.identify(signature("111122223333"))
    assert (caller.account, caller.region, caller.access_key) == ("111122223333", "ap-south-1", "111122223333")


def test_other_keys_are_in_the_default_account():
    auth = identity.Authenticator("000000000000", "us-east-1")
    assert auth.identify(signature("AKIAEXAMPLE")).account == "000000000000"


def test_unsigned_requests_get_defaults():
    caller = identity.Authenticator("000000000000", "eu-central-1").identify(None)
    assert (caller.account, caller.region) == ("000000000000", "eu-central-1")


def test_credentials_file(tmp_path):
    path = tmp_path / "credentials"
    path.write_text(
        "[alice]\naws_access_key_id = AKIAALICE\naws_secret_access_key = s1\naws_account_id = 444455556666\n"
        "[bob]\naws_access_key_id = AKIABOB\naws_secret_access_key = s2\n"
    )
    keys = identity.load_credentials(str(path))
    assert keys["AKIAALICE"] == identity.Credential("s1", "444455556666")
    auth = identity.Authenticator("000000000000", "us-east-1", keys)
    assert auth.identify(signature("AKIAALICE")).account == "444455556666"
    assert auth.identify(signature("AKIABOB")).account == "000000000000"


def test_credentials_file_without_secret(tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[x]\naws_access_key_id = A\n")
    with pytest.raises(ValueError, match="aws_secret_access_key"):
        identity.load_credentials(str(path))


def test_unknown_key_when_verifying():
    auth = identity.Authenticator("000000000000", "us-east-1", {"KNOWN": identity.Credential("s")})
    with pytest.raises(identity.AuthenticationError) as raised:
        auth.authenticate(signature("UNKNOWN"), "GET", "/", [], [("host", "x")], sigv4.EMPTY_SHA256)
    assert raised.value.failure is identity.AuthFailure.UNKNOWN_KEY


def test_missing_signature_when_verifying():
    auth = identity.Authenticator("000000000000", "us-east-1", {})
    with pytest.raises(identity.AuthenticationError) as raised:
        auth.authenticate(None, "GET", "/", [], [], sigv4.EMPTY_SHA256)
    assert raised.value.failure is identity.AuthFailure.MISSING


def test_anything_goes_when_not_verifying():
    auth = identity.Authenticator("000000000000", "us-east-1")
    # No AuthenticationError: any signature passes.
    auth.authenticate(signature("ANY"), "GET", "/", [], [], "x")
