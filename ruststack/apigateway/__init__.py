"""
API Gateway REST APIs (v1): the control plane subset deploy tools use, and
the execute-api data plane in front of Lambda proxy integrations.
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing).
CLAIMS = Claims(
    signing_names=("apigateway", "execute-api"),
    model="apigateway",
    # https://{api}.execute-api.{region}.amazonaws.com/{stage}/... and its local forms
    hosts=r"^[a-z0-9]+\.execute-api\.",
    # The path form of a stage; an S3 bucket named "restapis" keeps every other key.
    unsigned_paths=r"^/restapis/[^/]+/[^/]+/_user_request_(/|$)",
)
