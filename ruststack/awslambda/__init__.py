"""
Lambda: the control plane (REST-JSON C{/2015-03-31/functions...}), Invoke,
the Runtime API that execution environments poll, and the executors that run
them (child processes or Docker containers running the real awslambdaric).
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing).
CLAIMS = Claims(
    signing_names=("lambda",),
    model="lambda",
    # GetFunction's Code.Location, fetched unsigned as AWS's presigned URL is
    # (ruststack.awslambda.service.CODE_PACKAGES), and function URLs' path form (ruststack.awslambda.url_endpoint).
    unsigned_paths=r"^/2015-03-31/code-packages/[^/]+\.zip$|^/lambda-url/[a-z0-9]+(/|$)",
    # Function URLs: https://{url-id}.lambda-url.{region}.on.aws/ and its local forms.
    hosts=r"^[a-z0-9]+\.lambda-url\.",
)
