"""
RustStack's native S3: REST-XML requests routed to one handler per AWS
operation, bodies streamed into a store that keeps its index in sqlite.
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing).
CLAIMS = Claims(signing_names=("s3",), model="s3")
