"""
RustStack's native S3: REST-XML requests routed to one handler per AWS
operation, bodies streamed into a store that keeps its index in sqlite.
"""
