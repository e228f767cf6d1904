"""
What the edge and the service tree expect of a service.
"""

from __future__ import annotations

import attrs
from zope.interface import Attribute, Interface


@attrs.frozen
class ServiceStatus:
    """
    A service's state as C{/_ruststack/health} reports it: C{running},
    C{starting}, C{disabled}, C{unavailable} with the reason, or (Lambda)
    C{unsandboxed} with the reason: it runs, but functions run with
    RustStack's own rights (README, Lambda).
    """

    state: str
    reason: str | None = None

    def to_json(self) -> dict:
        return {"state": self.state, **({"reason": self.reason} if self.reason else {})}


@attrs.frozen
class Claims:
    """
    Which requests a service answers, as the edge routes them
    (L{ruststack.routing.Router}): a package's C{CLAIMS}, known whether or not
    the service runs.

    @ivar signing_names: SigV4 credential scope service names.
    @ivar target_prefixes: C{X-Amz-Target} prefixes (the JSON protocols).
    @ivar hosts: a pattern of C{Host} values (API Gateway's C{execute-api}).
    @ivar unsigned_paths: a pattern of the paths of unsigned requests that
        belong to the service beyond doubt; any other unsigned request is S3's.
    @ivar unsigned_forms: whether an unsigned HTML form posted to C{/} is
        the service's (STS's AssumeRoleWithWebIdentity is called unsigned; S3
        takes no such request).
    @ivar model: botocore's name of the service (its protocol answers for
        it when it is not enabled).
    """

    signing_names: tuple[str, ...] = ()
    target_prefixes: tuple[str, ...] = ()
    hosts: str | None = None
    unsigned_paths: str | None = None
    unsigned_forms: bool = False
    model: str | None = None


RUNNING = ServiceStatus("running")
STARTING = ServiceStatus("starting")
DISABLED = ServiceStatus("disabled")


class IAwsService(Interface):
    """
    One emulated AWS service, registered with the edge under its name.

    A service that also provides L{twisted.application.service.IService} is
    started and stopped with RustStack.
    """

    name = Attribute("The service's name: 's3', 'dynamodb', 'lambda', 'apigateway'.")
    resource = Attribute(
        "The leaf IResource that renders the service's requests. Requests are "
        "L{ruststack.edge.EdgeRequest}s: C{request.caller} is the "
        "L{ruststack.aws.identity.Caller}."
    )

    def status() -> ServiceStatus:
        """
        The service's state now.
        """

    def reset():
        """
        Forget all state (buckets, tables, functions, APIs); may return a
        Deferred.
        """

    def render_error(request, error) -> bytes:
        """
        Set status and headers of C{request} for the L{AwsError} C{error} in
        the service's protocol and return the body.
        """

    def auth_error(failure):
        """
        The L{AwsError} this service answers an
        L{ruststack.aws.identity.AuthFailure} with.
        """


class IBodySink(Interface):
    """
    Optional, on a service: receive a request body as it arrives instead of
    twisted.web's buffer (so that S3 can hash and store an upload while it
    streams in).
    """

    def body_sink(request, length):
        """
        Called once the headers are in; return a writable file-like object to
        receive the body (C{write}, C{seek}, C{tell}, C{read}), or C{None} for
        twisted.web's default.
        """


class IBodyLimit(Interface):
    """
    Optional, on a service: the largest request body it reads. The edge
    refuses a larger one as soon as its length is known (from the head, or
    as a chunked body passes the limit), without reading the rest.
    """

    max_body = Attribute("The largest request body, in bytes.")

    def body_too_large():
        """
        The L{AwsError} a body over C{max_body} is refused with.
        """


class ILegacySignatures(Interface):
    """
    Optional, on a service: it accepts S3's legacy SigV2 signatures (header
    and presigned forms), which the edge then parses and verifies.
    """

    def sigv2_resources(host, path):
        """
        The canonical resources (C{/bucket/key}) a SigV2 signature of a
        request to C{host} and C{path} may cover.
        """


class IPublicRequests(Interface):
    """
    Optional, on a service: requests it serves without AWS credentials even
    under C{--auth verify} (API Gateway's execute-api stages, which AWS
    serves unsigned for methods with authorization C{NONE}).
    """

    def is_public(request) -> bool:
        """
        Whether C{request} needs no SigV4 signature.
        """


class IExchange(Interface):
    """
    One request, whole, and the means to answer it: what the edge's fast lane
    (L{ruststack.fastlane}) hands a service instead of a twisted.web request;
    L{ruststack.exchange.WebExchange} gives a twisted.web request this face.
    """

    caller = Attribute(
        "The L{ruststack.aws.identity.Caller} (in the fast lane without its C{signature}: "
        "one caller serves every request of a credential scope)."
    )
    body = Attribute("The whole request body (bytes).")
    started = Attribute("Whether the head of the answer has been sent.")
    done = Attribute("Whether the exchange is over: answered, aborted, or the client gone.")

    def header(name):
        """
        The value (bytes) of the request header C{name} (lower-case bytes),
        or C{None}.
        """

    def respond(status, headers, body):
        """
        Send a whole answer: C{headers} are (name, value) byte pairs without
        C{Content-Length}, which is C{body}'s.
        """

    def start(status, headers):
        """
        Send the head of an answer whose body follows through C{write};
        C{headers} include its C{Content-Length}.
        """

    def write(data):
        """
        Send a piece of the body of a started answer.
        """

    def finish():
        """
        End a started answer.
        """

    def abort():
        """
        Cut the connection: for an answer that cannot be completed, so that
        the client sees a broken answer rather than a short one.
        """

    def notify_gone():
        """
        A Deferred that fires if the client goes away before the answer is
        finished (and never otherwise).
        """


class IExchanges(Interface):
    """
    Optional, on a service: it serves whole requests as L{IExchange}s, which
    lets the edge's fast lane serve its routine requests without twisted.web.
    """

    def serve(exchange):
        """
        Answer the L{IExchange} C{exchange} (now or later).
        """


@attrs.frozen
class InvokeResult:
    """
    What a Lambda invocation returned, as the Invoke API reports it.

    @ivar function_error: C{"Unhandled"} when the function failed, else C{None}.
    @ivar log_result: the base64 tail of the log when asked for, else C{None}.
    """

    status: int
    payload: bytes
    function_error: str | None = None
    log_result: str | None = None
    executed_version: str = "$LATEST"


class IObjectReader(Interface):
    """
    What S3 offers the other services: reading an object (Lambda reads code
    zips with it).
    """

    def read_object(account, bucket, key):
        """
        A Deferred firing with the object's bytes; fails with an L{AwsError}
        (C{NoSuchBucket}, C{NoSuchKey}) as S3 would.
        """


@attrs.frozen
class InvokeSource:
    """
    An AWS service invoking a function for one of its resources, as a
    function's resource policy sees it: the service principal
    (C{apigateway.amazonaws.com}) and the resource's ARN (C{aws:SourceArn}).
    """

    principal: str
    arn: str


class ILambdaInvoker(Interface):
    """
    What Lambda offers the other services: invoking a function (API Gateway's
    proxy integrations use it; S3's event notifications, asynchronously).
    """

    def invoke(account, region, function, payload, qualifier=None, source=None):
        """
        Invoke C{function} (name, partial or full ARN; a name is in
        C{account} and C{region}) synchronously (RequestResponse) with
        C{payload} (bytes); a Deferred firing with an L{InvokeResult},
        failing with an L{AwsError} for a missing function, throttling, or
        an invocation the function's resource policy does not allow
        (C{AccessDeniedException}). C{source}: the L{InvokeSource} when a
        service invokes for a resource of C{account}; C{None} when
        C{account} itself invokes. Cancelling the Deferred abandons the
        invocation.
        """

    def invoke_event(account, region, function, payload, source=None, dry_run=False):
        """
        Invoke C{function} (named as for L{invoke}) asynchronously (Event):
        queued and retried as Lambda does, its outcome sent to the
        function's destinations. Returns the invocation's request id
        (C{None} for a C{dry_run}, which only checks); raises an
        L{AwsError} at once for a missing function or one whose resource
        policy does not let C{source} (or C{account}) invoke it -- S3
        checks its notification destinations with a C{dry_run}.
        """


class IRoles(Interface):
    """
    What IAM offers the other services: looking up a role (Lambda checks a
    function's execution role with it). IAM's policies are stored, never
    enforced: a role found is only a role that exists.
    """

    def role(account, arn):
        """
        The role C{arn} names (C{arn:aws:iam::<account>:role/<path><name>};
        its name found regardless of case, as IAM does, its path exactly),
        or C{None} when there is none, when C{arn} is not a role's ARN, or
        when it names another account than C{account} (an account never
        learns of another's roles). The role is a
        L{ruststack.iam.model.Role}: C{arn}, C{name}, C{path}, C{role_id},
        C{account}, C{created} (epoch seconds), C{trust_policy} (its
        AssumeRolePolicyDocument, as sent), C{description},
        C{max_session_duration}, C{permissions_boundary}, C{tags},
        C{inline_policies}, C{attached} (managed policy ARNs); read it,
        never change it.
        """


class IParameters(Interface):
    """
    What SSM Parameter Store offers the other services: reading a
    parameter's value (CloudFormation's C{AWS::SSM::Parameter::Value<String>}
    parameters and C{{{resolve:ssm:...}}} references).
    """

    def value(account, region, name):
        """
        The value (C{str}) of the parameter C{name} of C{account} in
        C{region}, or C{None} if there is none. C{name} may carry a selector
        (C{name:3}, C{name:label}) or be the parameter's ARN. A SecureString
        comes decrypted and a StringList as its comma-separated text; the
        caller decides what it accepts. Never blocks, never fails.
        """


class ILogSink(Interface):
    """
    What CloudWatch Logs offers the other services: somewhere to write log
    events (Lambda ships its functions' output with it).
    """

    def put(account, region, group, stream, events):
        """
        Append C{events}, an iterable of (timestamp in ms, message) pairs, to
        the log stream C{stream} of the log group C{group} of C{account} in
        C{region}, creating both if missing (as Lambda's role may). Returns
        at once and never fails: the events are read and stored on a later
        turn of the reactor, so a writer may hand a generator whose last
        events are worth computing late.
        """


class ILogNotices(Interface):
    """
    What CloudWatch Logs tells a reader that waits for new events (the
    console's live tail): only that a log group has some, never the events,
    which the reader fetches through the logs API as its own account.
    """

    def watch(account, region, group, notice):
        """
        Call C{notice()} (no arguments) after new events of the log group
        C{group} of C{account} in C{region} are stored; returns a callable
        that stops it. No one watching costs the writers nothing.
        """

    def watched(account, region, group):
        """
        Whether anyone watches the log group now: a writer that holds lines
        back (Lambda, until an invocation ends) ships them at once if so.
        """
