"""
The protocol layer: requests parsed, inputs validated, outputs and errors
serialized as AWS's four protocols do (rest-xml, rest-json, json, query),
driven by botocore's service models. See L{ruststack.protocol.protocol}.
"""

from ruststack.protocol.protocol import Handler, Protocol
from ruststack.protocol.request import ProtocolRequest, Response

__all__ = ["Handler", "Protocol", "ProtocolRequest", "Response"]
