"""
IAM's operations on the protocol layer (query): the table of handlers by
operation name, and the context each is handed (L{Call}).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ruststack.aws.identity import Sessions
from ruststack.iam import policy_operations, role_operations, user_operations
from ruststack.iam.calls import PROTOCOL, Call
from ruststack.iam.store import IamStore
from ruststack.protocol import Handler

# Operation -> handler, from each module's functions named after operations
# in snake case (create_role -> CreateRole).
HANDLERS: dict[str, Handler] = {
    **PROTOCOL.handlers_from(role_operations),
    **PROTOCOL.handlers_from(policy_operations),
    **PROTOCOL.handlers_from(user_operations),
}


def context_of(store: IamStore, clock: Any, sessions: Sessions) -> Callable[[Any], Call]:
    """
    The handlers' context of a twisted.web request (for L{ServiceResource}):
    IAM is global, so only the caller's account matters, never the region;
    C{sessions} tell STS's temporary credentials (a role's, not a user's).
    """

    def context(request: Any) -> Call:
        caller = request.caller
        session = sessions.get(caller.access_key) is not None
        return Call(store, caller.account, caller.access_key, int(clock.seconds()), session)

    return context
