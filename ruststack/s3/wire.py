"""
S3's XML documents: written by string building (the hot path of listings),
read with defusedxml (bodies are untrusted).
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from ruststack.aws.errors import AwsError

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def element(name: str, value: object) -> str:
    """
    C{<name>value</name>}, escaped; booleans as S3 writes them.
    """
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value))}</{name}>"


def optional(name: str, value: object) -> str:
    return "" if value is None or value == "" else element(name, value)


def document(root: str, parts: Iterable[str], namespace: str | None = NAMESPACE) -> bytes:
    opening = f'<{root} xmlns="{namespace}">' if namespace else f"<{root}>"
    return (_HEAD + opening + "".join(parts) + f"</{root}>").encode("utf-8")


def malformed() -> AwsError:
    return AwsError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )


def parse(body: bytes) -> Element:
    """
    The root of an XML body, namespaces stripped from tags; MalformedXML
    when it is not XML.
    """
    if not body.strip():
        raise malformed()
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise malformed() from None
    for node in root.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = node.tag.split("}", 1)[1]
    return root


def text(node: Element, name: str) -> str | None:
    child = node.find(name)
    return None if child is None else (child.text or "")
