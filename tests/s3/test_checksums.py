"""
Integrity end to end: flexible checksums as current boto3 sends them over
HTTP (headers) and over HTTPS (aws-chunked with a trailing checksum), and
hand-built aws-chunked bodies (signed STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
STREAMING-UNSIGNED-PAYLOAD-TRAILER); each checks that the stored bytes are
the bytes sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import UTC, datetime

import pytest
from awscrt import checksums as crt
from botocore.exceptions import ClientError

from tests.s3.conftest import client, send_raw

ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]
BODY = os.urandom(300_000)


def expected_checksum(algorithm: str, data: bytes) -> str:
    if algorithm == "CRC32":
        raw = crt.crc32(data).to_bytes(4, "big")
    elif algorithm == "CRC32C":
        raw = crt.crc32c(data).to_bytes(4, "big")
    elif algorithm == "CRC64NVME":
        raw = crt.crc64nvme(data).to_bytes(8, "big")
    else:
        raw = hashlib.new(algorithm.lower(), data).digest()
    return base64.b64encode(raw).decode()


def recording(s3) -> list[dict]:
    """
    The headers of each request C{s3} sends, to prove how it sent them.
    """
    sent: list[dict] = []

    def record(request, **_):
        sent.append({k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()})

    s3.meta.events.register("before-send.s3.*", record)
    return sent


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_header_checksums_over_http(s3, bucket, algorithm):
    sent = recording(s3)
    put = s3.put_object(Bucket=bucket, Key="k", Body=BODY, ChecksumAlgorithm=algorithm)
    name = f"x-amz-checksum-{algorithm.lower()}"
    assert name in sent[-1]
    assert put[f"Checksum{algorithm}"] == expected_checksum(algorithm, BODY)
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == BODY
    assert got[f"Checksum{algorithm}"] == expected_checksum(algorithm, BODY)
    assert got["ChecksumType"] == "FULL_OBJECT"


def test_boto3_default_checksum(s3, bucket):
    s3.put_object(Bucket=bucket, Key="default", Body=BODY)
    got = s3.get_object(Bucket=bucket, Key="default", ChecksumMode="ENABLED")
    assert got["Body"].read() == BODY
    assert got["ChecksumCRC32"] == expected_checksum("CRC32", BODY)


def test_wrong_checksum_is_bad_digest(s3, bucket):
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="bad", Body=BODY, ChecksumSHA256=expected_checksum("SHA256", b"other"))
    assert excinfo.value.response["Error"]["Code"] == "BadDigest"
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="bad", Body=BODY, ChecksumCRC32="AAAA")
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_trailer_checksums_over_https(tls_stack, algorithm):
    _, url, cert = tls_stack
    s3 = client(url, verify=cert)
    name = f"https-{algorithm.lower()}"
    s3.create_bucket(Bucket=name)
    sent = recording(s3)
    put = s3.put_object(Bucket=name, Key="k", Body=BODY, ChecksumAlgorithm=algorithm)
    headers = {k.lower(): v for k, v in sent[-1].items()}
    # Prove the upload was aws-chunked with a trailing checksum.
    assert "aws-chunked" in headers["content-encoding"]
    assert headers["x-amz-trailer"] == f"x-amz-checksum-{algorithm.lower()}"
    assert put[f"Checksum{algorithm}"] == expected_checksum(algorithm, BODY)
    got = s3.get_object(Bucket=name, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == BODY
    assert got[f"Checksum{algorithm}"] == expected_checksum(algorithm, BODY)
    assert "ContentEncoding" not in got


def test_https_multipart_upload_file(tls_stack, tmp_path):
    _, url, cert = tls_stack
    s3 = client(url, verify=cert)
    s3.create_bucket(Bucket="https-transfer")
    data = os.urandom(9 * 1024 * 1024)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    from boto3.s3.transfer import TransferConfig

    s3.upload_file(str(path), "https-transfer", "f", Config=TransferConfig(multipart_threshold=5 * 1024 * 1024))
    assert s3.get_object(Bucket="https-transfer", Key="f")["Body"].read() == data


# Hand-built aws-chunked requests.


def _sign(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str) -> bytes:
    key = _sign(("AWS4" + secret).encode(), date)
    key = _sign(key, region)
    key = _sign(key, "s3")
    return _sign(key, "aws4_request")


def streaming_signed_request(host: str, path: str, body: bytes, chunk: int, secret: str = "test", access: str = "test"):
    """
    A STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload, signed as the SigV4
    streaming documentation describes (seed signature, then one signature
    per chunk chained on the previous one).
    """
    now = datetime.now(UTC)
    amz_date, date, region = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d"), "us-east-1"
    scope = f"{date}/{region}/s3/aws4_request"
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] + [b""]
    framing = sum(len(f"{len(p):x};chunk-signature=") + 64 + 4 + len(p) for p in pieces)
    headers = {
        "host": host,
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-date": amz_date,
        "x-amz-decoded-content-length": str(len(body)),
        "content-encoding": "aws-chunked",
        "content-length": str(framing),
    }
    signed = sorted(headers)
    canonical = "\n".join(
        ["PUT", path, "", *(f"{h}:{headers[h]}" for h in signed), "", ";".join(signed), headers["x-amz-content-sha256"]]
    )
    key = signing_key(secret, date, region)
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={';'.join(signed)}, Signature={previous}"
    )
    encoded = b""
    empty = hashlib.sha256(b"").hexdigest()
    for piece in pieces:
        string = "\n".join(
            ["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, empty, hashlib.sha256(piece).hexdigest()]
        )
        previous = hmac.new(key, string.encode(), hashlib.sha256).hexdigest()
        encoded += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece + b"\r\n"
    assert len(encoded) == framing
    return headers, encoded


@pytest.mark.parametrize("chunk", [65536, 1000, 300_000])
def test_hand_signed_streaming_upload(verifying_stack, chunk):
    s3 = verifying_stack.client("s3")
    name = f"streaming-{chunk}"
    s3.create_bucket(Bucket=name)
    host = verifying_stack.endpoint_url.split("//")[1]
    headers, encoded = streaming_signed_request(host, f"/{name}/streamed", BODY, chunk)
    response, answer = send_raw(verifying_stack, "PUT", f"/{name}/streamed", encoded, headers)
    assert response.status == 200, answer
    assert response.getheader("ETag") == f'"{hashlib.md5(BODY).hexdigest()}"'
    got = s3.get_object(Bucket=name, Key="streamed")
    assert got["Body"].read() == BODY
    assert got["ContentLength"] == len(BODY)
    assert "ContentEncoding" not in got


def test_tampered_chunk_is_refused(verifying_stack):
    s3 = verifying_stack.client("s3")
    s3.create_bucket(Bucket="streaming-tampered")
    host = verifying_stack.endpoint_url.split("//")[1]
    headers, encoded = streaming_signed_request(host, "/streaming-tampered/k", BODY, 65536)
    # Change one byte of the second chunk's data: the header signature still
    # matches, the chunk signature does not.
    at = encoded.index(b"\r\n", encoded.index(b"\r\n") + 2 + 65536 + 2) + 10
    tampered = encoded[:at] + bytes([encoded[at] ^ 1]) + encoded[at + 1 :]
    response, answer = send_raw(verifying_stack, "PUT", "/streaming-tampered/k", tampered, headers)
    assert response.status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in answer
    with pytest.raises(ClientError):
        s3.head_object(Bucket="streaming-tampered", Key="k")


def test_hand_signed_streaming_with_wrong_secret_is_refused(verifying_stack):
    s3 = verifying_stack.client("s3")
    s3.create_bucket(Bucket="streaming-refused")
    host = verifying_stack.endpoint_url.split("//")[1]
    headers, encoded = streaming_signed_request(host, "/streaming-refused/k", b"data", 1000, secret="wrong")
    response, answer = send_raw(verifying_stack, "PUT", "/streaming-refused/k", encoded, headers)
    assert response.status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in answer


def unsigned_trailer_body(body: bytes, chunk: int, trailer: str) -> bytes:
    encoded = b"".join(
        f"{len(body[i : i + chunk]):x}\r\n".encode() + body[i : i + chunk] + b"\r\n" for i in range(0, len(body), chunk)
    )
    return encoded + b"0\r\n" + trailer.encode() + b"\r\n\r\n"


def test_unsigned_payload_trailer(stack, bucket):
    good = expected_checksum("CRC32C", BODY)
    for value, status in ((good, 200), (expected_checksum("CRC32C", b"x"), 400)):
        response, text = send_raw(
            stack,
            "PUT",
            f"/{bucket}/trailer",
            unsigned_trailer_body(BODY, 8192, f"x-amz-checksum-crc32c:{value}"),
            {
                "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                "content-encoding": "aws-chunked",
                "x-amz-trailer": "x-amz-checksum-crc32c",
                "x-amz-decoded-content-length": str(len(BODY)),
            },
        )
        assert response.status == status, text
        if status == 400:
            assert b"<Code>BadDigest</Code>" in text
    s3 = stack.client("s3")
    got = s3.get_object(Bucket=bucket, Key="trailer", ChecksumMode="ENABLED")
    assert got["Body"].read() == BODY
    assert got["ChecksumCRC32C"] == good


def test_truncated_aws_chunked_is_refused(stack, bucket):
    body = unsigned_trailer_body(b"abc", 10, "x-amz-checksum-crc32:AAAAAA==")[:-12]
    response, answer = send_raw(
        stack,
        "PUT",
        f"/{bucket}/t",
        body,
        {"x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked"},
    )
    assert response.status == 400
    assert b"IncompleteBody" in answer


def test_declared_size_over_5_gib_is_entity_too_large(stack, bucket):
    response, answer = send_raw(
        stack,
        "PUT",
        f"/{bucket}/huge",
        unsigned_trailer_body(b"abc", 10, "x-amz-checksum-crc32:AAAAAA=="),
        {
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "content-encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(5 * 1024**3 + 1),
        },
    )
    assert response.status == 400
    assert b"<Code>EntityTooLarge</Code>" in answer


def test_large_upload_over_https_is_paced_and_whole(tls_stack):
    # 40 MiB aws-chunked over TLS: hashed in threads, reading paused when they
    # fall behind, and the stored bytes are the bytes sent.
    _, url, cert = tls_stack
    s3 = client(url, verify=cert)
    s3.create_bucket(Bucket="https-large")
    body = os.urandom(1024 * 1024) * 40
    put = s3.put_object(Bucket="https-large", Key="k", Body=body, ChecksumAlgorithm="CRC32C")
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket="https-large", Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ChecksumCRC32C"] == expected_checksum("CRC32C", body)
