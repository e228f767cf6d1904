"""
User metadata values between HTTP headers and the store, as S3 carries
them: a value that arrives as RFC 2047 encoded words (C{=?UTF-8?B?...?=})
is decoded before it is stored, and a stored value that is not US-ASCII
leaves as one encoded word, C{=?UTF-8?B?<base64 of its UTF-8>?=}.
See https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html#UserMetadata
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re

# RFC 2047 section 2: =?charset?encoding?encoded-text?= (no spaces or "?" inside).
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")
# Whitespace between two adjacent encoded words is not part of the text (RFC 2047 section 6.2).
_BETWEEN_WORDS = re.compile(r"(?<=\?=)[ \t]+(?==\?)")


def _decode_word(match: re.Match) -> str:
    charset, encoding, text = match.group(1), match.group(2).upper(), match.group(3)
    try:
        if encoding == "B":
            raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        else:
            raw = quopri.decodestring(text.replace("_", " ").encode("ascii"), header=True)
        return raw.decode(charset.split("*", 1)[0])
    except (binascii.Error, ValueError, LookupError, UnicodeError):
        # Not a word we can read: kept as sent.
        return match.group(0)


def decode_header_value(raw: str) -> str:
    """
    A metadata value as it arrived (header bytes read as latin-1): raw
    UTF-8 read as UTF-8, encoded words decoded.
    """
    try:
        text = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        text = raw
    if "=?" not in text:
        return text
    return _ENCODED_WORD.sub(_decode_word, _BETWEEN_WORDS.sub("", text))


def encode_header_value(value: str) -> str:
    """
    A stored metadata value as S3 sends it: as is when it is printable
    US-ASCII, else one RFC 2047 B-encoded UTF-8 word.
    """
    if value.isascii() and value.isprintable():
        return value
    return "=?UTF-8?B?" + base64.b64encode(value.encode("utf-8", "surrogatepass")).decode("ascii") + "?="
