"""
What a method checks after authorization and before its integration: the
stage's throttling of the method, the API key and its usage plan
(L{metering}), then the request's parameters and body (L{validation}).
"""

from __future__ import annotations

from typing import Any

from ruststack.apigateway import metering, validation
from ruststack.apigateway.model import RestApi
from ruststack.apigateway.regional import ACCOUNT_BURST_LIMIT, ACCOUNT_RATE_LIMIT
from ruststack.apigateway.routing import Route
from ruststack.apigateway.store import ApiStore
from ruststack.apigateway.validation import Invalid

# The gateway response each refusal of the meter is.
_METERED = {
    metering.FORBIDDEN: "INVALID_API_KEY",
    metering.THROTTLED: "THROTTLED",
    metering.QUOTA_EXCEEDED: "QUOTA_EXCEEDED",
}


class Admission:
    """
    The checks of one data plane (with their token buckets and compiled
    schemas).
    """

    def __init__(self, store: ApiStore, clock: Any) -> None:
        self.clock = clock
        self.meter = metering.Meter(store.extras, clock, store.save)
        self.checks = validation.RequestChecks(store.extras)
        self._stage_buckets = metering.Buckets()  # by (API, stage, method settings key)

    def _within_stage_limits(self, api: RestApi, stage_name: str, route: Route) -> bool:
        # The method's throttling settings (UpdateStage's /{path}/{METHOD}/throttling/...), else
        # the stage's default ones (/*/*/...), each method with a bucket of its own.
        stage = api.stages.get(stage_name)
        if stage is None or not stage.method_settings:
            return True
        key = f"{route.resource.path.replace('/', '~1')}/{route.method.http_method}"
        settings = stage.method_settings.get(key) or stage.method_settings.get("*/*")
        if settings is None:
            return True
        rate = float(settings.get("throttlingRateLimit", ACCOUNT_RATE_LIMIT))
        burst = int(settings.get("throttlingBurstLimit", ACCOUNT_BURST_LIMIT))
        return self._stage_buckets.take((api.id, stage_name, key), rate, burst, self.clock.seconds())

    def refusal(self, api: RestApi, stage: str, route: Route, request: Any, event: dict[str, Any]) -> Invalid | None:
        """
        Why the request (a twisted.web request, and its proxy C{event}) is
        refused, or C{None}: it goes on to the integration.
        """
        method = route.method
        if not self._within_stage_limits(api, stage, route):
            return Invalid(metering.THROTTLED, "THROTTLED", "")
        if method.api_key_required:
            # The key's usage plan; the header even where the API says AUTHORIZER.
            key = request.getHeader(b"x-api-key")
            refused = self.meter.admit(
                api.account,
                api.region,
                api.id,
                stage,
                f"{route.resource.path}/{method.http_method}",
                key.decode("latin-1") if key is not None else None,
            )
            if refused is not None:
                return Invalid(refused, _METERED[refused], "")
        if method.request_validator_id:
            return self.checks.check(
                api.id,
                method,
                lambda name: bool(request.requestHeaders.hasHeader(name.encode("latin-1"))),
                event.get("multiValueQueryStringParameters") or {},
                (request.getHeader(b"content-type") or b"").decode("latin-1"),
                validation.event_body(event),
            )
        return None
