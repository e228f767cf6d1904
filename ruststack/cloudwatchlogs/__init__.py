"""
CloudWatch Logs: log groups, streams and events (botocore's C{logs}, the
json protocol under C{Logs_20140328}), and the sink Lambda writes its
functions' logs to (L{ruststack.interfaces.ILogSink}). The package is not
named C{logs}: L{ruststack.logs} is RustStack's own logging.
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing).
CLAIMS = Claims(signing_names=("logs",), target_prefixes=("Logs_20140328",), model="logs")
