"""
The stack state machine: creating, updating and deleting a stack's resources
in dependency order (independent ones at once), with CloudFormation's
statuses and events, rolling back what a failure leaves half done.

Each operation runs after the API call that asked for it has answered, as on
AWS; its progress is in the stack's status and events.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import attrs
from twisted.internet import defer, task
from twisted.logger import Logger

from ruststack.aws.errors import AwsError
from ruststack.cloudformation import graph, intrinsics
from ruststack.cloudformation.model import Event, Stack, StackResource
from ruststack.cloudformation.provisioners import PROVISIONERS, is_custom
from ruststack.cloudformation.provisioners.base import Made, Provisioner, ResourceContext, ResourceFailed
from ruststack.cloudformation.store import StackStore

log = Logger()

STACK_TYPE = "AWS::CloudFormation::Stack"
# A stack updated forever keeps its latest events only.
_EVENTS_KEPT = 10_000
_REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."

# account, region, service, operation, params -> the parsed answer
ServiceCaller = Callable[[str, str, str, str, Mapping[str, Any]], Awaitable[dict[str, Any]]]


def _observe(d: defer.Deferred) -> defer.Deferred:
    """
    A Deferred firing with C{d}'s result, leaving C{d}'s own chain as it is
    (so that many can wait for one resource).
    """
    out: defer.Deferred = defer.Deferred()

    def relay(result: Any) -> Any:
        out.callback(result)
        return result

    d.addBoth(relay)
    return out


def topological(names: Iterable[str], needs: Mapping[str, set[str]]) -> list[str]:
    chosen = set(names)
    remaining = {n: needs.get(n, set()) & chosen for n in chosen}
    order: list[str] = []
    while remaining:
        ready = sorted(n for n, needed in remaining.items() if not needed & remaining.keys())
        if not ready:  # a cycle (refused earlier); keep going rather than hang
            ready = sorted(remaining)
        for n in ready:
            order.append(n)
            del remaining[n]
    return order


@attrs.define
class Engine:
    """
    @ivar call: how resources are made: a service's API, as an account.
    @ivar running: the names of the services RustStack runs.
    @ivar custom: the provisioner of custom resources.
    """

    store: StackStore
    call: ServiceCaller
    running: Callable[[], frozenset[str]]
    clock: Any
    custom: Provisioner | None = None

    def now(self) -> float:
        return self.clock.seconds()

    def sleep(self, seconds: float) -> Awaitable[None]:
        return task.deferLater(self.clock, seconds, lambda: None)

    # -- events

    def _event(
        self,
        stack: Stack,
        logical_id: str,
        physical_id: str,
        type_name: str,
        status: str,
        reason: str | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        stack.events.append(
            Event(
                # AWS's form for a resource's events (a stack's own are bare UUIDs there too).
                event_id=f"{logical_id}-{status}-{uuid.uuid4()}",
                logical_id=logical_id,
                physical_id=physical_id,
                type=type_name,
                status=status,
                timestamp=self.now(),
                reason=reason,
                properties=json.dumps(properties) if properties is not None else None,
            )
        )
        if len(stack.events) > _EVENTS_KEPT:
            del stack.events[: len(stack.events) - _EVENTS_KEPT]
        self.store.save()

    def stack_status(self, stack: Stack, status: str, reason: str | None = None) -> None:
        stack.status = status
        stack.reason = reason
        self._event(stack, stack.name, stack.stack_id, STACK_TYPE, status, reason)

    def _resource_status(
        self, stack: Stack, resource: StackResource, status: str, reason: str | None = None, event: bool = True
    ) -> None:
        resource.status = status
        resource.reason = reason
        resource.timestamp = self.now()
        if event:
            self._event(
                stack, resource.logical_id, resource.physical_id, resource.type, status, reason, resource.properties
            )

    # -- evaluation

    def scope(self, stack: Stack, template: Mapping[str, Any] | None = None) -> intrinsics.Scope:
        template = stack.template if template is None else template

        def ref(name: str) -> Any:
            resource = stack.resources.get(name)
            if resource is None or not resource.physical_id:
                raise intrinsics.template_error(f"Unresolved resource dependencies [{name}] in the Resources block")
            return resource.physical_id

        def get_att(name: str, attribute: str) -> Any:
            resource = stack.resources.get(name)
            if resource is None or attribute not in resource.attributes:
                kind = resource.type if resource is not None else "resource"
                raise intrinsics.template_error(
                    f"resource {name} does not support attribute type {attribute} in Fn::GetAtt"
                    if resource is None or not is_custom(kind)
                    else f"CustomResource attribute error: Vendor response doesn't contain {attribute} key"
                )
            return resource.attributes[attribute]

        def import_value(name: str) -> Any:
            found = self.store.exports(stack.account, stack.region).get(name)
            if found is None:
                raise AwsError("ValidationError", f"No export named {name} found.", 400)
            if name not in stack.imports:
                stack.imports.append(name)
            return found[0]

        return intrinsics.Scope(
            account=stack.account,
            region=stack.region,
            stack_name=stack.name,
            stack_id=stack.stack_id,
            parameters=stack.parameter_values,
            mappings=template.get("Mappings") or {},
            condition_definitions=template.get("Conditions") or {},
            resources=template.get("Resources") or {},
            ref=ref,
            get_att=get_att,
            import_value=import_value,
            notification_arns=stack.notification_arns,
        )

    @staticmethod
    def enabled(template: Mapping[str, Any], scope: intrinsics.Scope) -> dict[str, dict[str, Any]]:
        """
        The template's resources whose condition (if any) holds.
        """
        return {
            name: definition
            for name, definition in (template.get("Resources") or {}).items()
            if "Condition" not in definition or scope.condition(str(definition["Condition"]))
        }

    def provisioner(self, type_name: str) -> Provisioner:
        if is_custom(type_name):
            if self.custom is None:
                raise ResourceFailed("Custom resources are not available")
            return self.custom
        provisioner = PROVISIONERS.get(type_name)
        if provisioner is None:
            raise ResourceFailed(f"Unrecognized resource types: [{type_name}]")
        return provisioner

    def context(self, stack: Stack, logical_id: str, type_name: str = "") -> ResourceContext:
        account, region = stack.account, stack.region

        def caller(service: str, operation: str, params: Mapping[str, Any]) -> Awaitable[dict[str, Any]]:
            return self.call(account, region, service, operation, params)

        return ResourceContext(
            account=account,
            region=region,
            stack_name=stack.name,
            stack_id=stack.stack_id,
            logical_id=logical_id,
            caller=caller,
            running=self.running(),
            sleep=self.sleep,
            extra={"type": type_name},
        )

    async def _in_order(
        self, names: Iterable[str], needs: Mapping[str, set[str]], action: Callable[[str], Awaitable[bool]]
    ) -> list[str]:
        """
        Run C{action} on each of C{names} once those it needs are done, as
        many at once as the order allows; after a failure nothing more is
        started. The names whose action failed.
        """
        failed: list[str] = []
        finished: dict[str, defer.Deferred] = {}

        async def run(name: str) -> bool:
            outcomes = [await _observe(finished[n]) for n in sorted(needs.get(name, ())) if n in finished]
            if failed or not all(outcomes):
                return False
            try:
                ok = await action(name)
            except Exception:
                log.failure("CloudFormation: {name} failed", name=name)
                ok = False
            if not ok:
                failed.append(name)
            return ok

        for name in topological(names, needs):
            finished[name] = defer.ensureDeferred(run(name))
        if finished:
            await defer.DeferredList(list(finished.values()), consumeErrors=True)
        return failed

    # -- one resource

    def _made(self, resource: StackResource) -> Made:
        return Made(resource.physical_id, dict(resource.attributes), resource.note)

    def _provisioned(self, stack: Stack, resource: StackResource, made: Made, status: str) -> None:
        # What the provisioner made is the resource from now on.
        resource.physical_id, resource.attributes, resource.note = made.physical_id, dict(made.attributes), made.note
        self._resource_status(stack, resource, status, made.note)

    async def _create_resource(
        self, stack: Stack, scope: intrinsics.Scope, name: str, definition: Mapping[str, Any], needs: set[str]
    ) -> bool:
        resource = StackResource(
            logical_id=name,
            type=definition["Type"],
            status="CREATE_IN_PROGRESS",
            timestamp=self.now(),
            depends_on=sorted(needs),
            deletion_policy=str(definition.get("DeletionPolicy", "Delete")),
            update_replace_policy=str(definition.get("UpdateReplacePolicy", "Delete")),
            metadata=definition.get("Metadata"),
        )
        stack.resources[name] = resource
        try:
            resource.properties = intrinsics.evaluate(definition.get("Properties") or {}, scope)
            self._resource_status(stack, resource, "CREATE_IN_PROGRESS")
            provisioner = self.provisioner(resource.type)
            made = await provisioner.create(self.context(stack, name, resource.type), resource.properties)
        except Exception as e:
            self._resource_status(stack, resource, "CREATE_FAILED", _failure_reason(e, "creating", name))
            return False
        self._provisioned(stack, resource, made, "CREATE_COMPLETE")
        return True

    async def _delete_resource(
        self, stack: Stack, resource: StackResource, retain: bool = False, why: str = "delete"
    ) -> bool:
        """
        Delete one resource, unless its policy keeps it: C{why} is
        C{delete}, C{create-rollback} (RetainExceptOnCreate does not keep
        it) or C{replaced} (its UpdateReplacePolicy decides).
        """
        if not resource.physical_id or resource.status == "DELETE_COMPLETE":
            self._resource_status(stack, resource, "DELETE_COMPLETE")
            return True
        policy = resource.update_replace_policy if why == "replaced" else resource.deletion_policy
        kept = ("Retain",) if why == "create-rollback" else ("Retain", "RetainExceptOnCreate")
        if retain or policy in kept:
            self._resource_status(stack, resource, "DELETE_SKIPPED")
            return True
        self._resource_status(stack, resource, "DELETE_IN_PROGRESS")
        try:
            provisioner = self.provisioner(resource.type)
            await provisioner.delete(
                self.context(stack, resource.logical_id, resource.type), self._made(resource), resource.properties
            )
        except Exception as e:
            reason = _failure_reason(e, "deleting", resource.logical_id)
            self._resource_status(stack, resource, "DELETE_FAILED", reason)
            return False
        self._resource_status(stack, resource, "DELETE_COMPLETE")
        return True

    async def _delete_resources(
        self, stack: Stack, names: Iterable[str] | None = None, retain: Iterable[str] = (), why: str = "delete"
    ) -> list[str]:
        chosen = [n for n in (stack.resources if names is None else names) if n in stack.resources]
        chosen = [n for n in chosen if stack.resources[n].status != "DELETE_COMPLETE"]
        kept = set(retain)
        # A resource goes once everything that depends on it has gone.
        needs = {n: {m for m in chosen if n in stack.resources[m].depends_on} for n in chosen}
        return await self._in_order(
            chosen, needs, lambda n: self._delete_resource(stack, stack.resources[n], n in kept, why)
        )

    # -- outputs

    def _outputs(self, stack: Stack, scope: intrinsics.Scope) -> list[dict[str, Any]]:
        outputs = []
        taken = self.store.exports(stack.account, stack.region)
        for key, spec in (stack.template.get("Outputs") or {}).items():
            if "Condition" in spec and not scope.condition(str(spec["Condition"])):
                continue
            value = intrinsics.evaluate(spec.get("Value"), scope)
            output: dict[str, Any] = {"OutputKey": key, "OutputValue": _text(value)}
            if "Description" in spec:
                output["Description"] = str(intrinsics.evaluate(spec["Description"], scope))
            if isinstance(spec.get("Export"), dict) and "Name" in spec["Export"]:
                name = _text(intrinsics.evaluate(spec["Export"]["Name"], scope))
                other = taken.get(name)
                if other is not None and other[1] is not stack:
                    raise AwsError(
                        "ValidationError", f"Export with name {name} is already exported by stack {other[1].name}", 400
                    )
                output["ExportName"] = name
            outputs.append(output)
        return outputs

    def _exports_in_use(self, stack: Stack, keeping: Iterable[str] = ()) -> str | None:
        """
        Why C{stack}'s exports (other than C{keeping}) cannot go: another
        stack imports one.
        """
        kept = set(keeping)
        for name in stack.exports():
            if name in kept:
                continue
            for other in self.store.of(stack.account, stack.region):
                if other is not stack and other.live and name in other.imports:
                    return f"Export {name} cannot be deleted as it is in use by {other.name}"
        return None

    # -- the operations

    def _plan(self, stack: Stack) -> tuple[intrinsics.Scope, dict[str, dict[str, Any]], dict[str, set[str]]]:
        """
        What the stack's template asks for: the scope its values are read in,
        the resources whose conditions hold, and what each depends on.
        """
        scope = self.scope(stack)
        resources = self.enabled(stack.template, scope)
        return scope, resources, graph.dependencies(resources)

    async def create(self, stack: Stack) -> None:
        self.stack_status(stack, "CREATE_IN_PROGRESS", "User Initiated")
        failed: list[str] = []
        reason = None
        try:
            scope, resources, needs = self._plan(stack)
        except AwsError as e:
            resources, needs, reason = {}, {}, e.message
        if reason is None:
            failed = await self._in_order(
                resources, needs, lambda n: self._create_resource(stack, scope, n, resources[n], needs[n])
            )
            if failed:
                reason = f"The following resource(s) failed to create: [{', '.join(sorted(failed))}]. "
            else:
                try:
                    stack.outputs = self._outputs(stack, scope)
                except AwsError as e:
                    reason = e.message
        if reason is None:
            self.stack_status(stack, "CREATE_COMPLETE")
            return
        if stack.on_failure == "DO_NOTHING":
            self.stack_status(stack, "CREATE_FAILED", reason)
            return
        if stack.on_failure == "DELETE":
            self.stack_status(stack, "ROLLBACK_IN_PROGRESS", reason + "Delete requested by user.")
            failed = await self._delete_resources(stack, why="create-rollback")
            self.stack_status(stack, "ROLLBACK_FAILED" if failed else "ROLLBACK_COMPLETE")
            if not failed:
                await self.delete(stack)
            return
        self.stack_status(stack, "ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user.")
        failed = await self._delete_resources(stack, why="create-rollback")
        stack.outputs = []
        if failed:
            self.stack_status(
                stack, "ROLLBACK_FAILED", f"The following resource(s) failed to delete: [{', '.join(sorted(failed))}]. "
            )
        else:
            self.stack_status(stack, "ROLLBACK_COMPLETE")

    async def delete(self, stack: Stack, retain: Iterable[str] = ()) -> None:
        self.stack_status(stack, "DELETE_IN_PROGRESS", "User Initiated")
        in_use = self._exports_in_use(stack)
        if in_use is not None:
            self.stack_status(stack, "DELETE_FAILED", in_use)
            return
        failed = await self._delete_resources(stack, retain=retain)
        if failed:
            self.stack_status(
                stack, "DELETE_FAILED", f"The following resource(s) failed to delete: [{', '.join(sorted(failed))}]. "
            )
            return
        stack.deleted = self.now()
        stack.outputs = []
        self.stack_status(stack, "DELETE_COMPLETE")
        self.store.change_sets = [c for c in self.store.change_sets if c.stack_id != stack.stack_id]
        self.store.save()

    async def update(self, stack: Stack, changes: Mapping[str, Any]) -> None:
        """
        Move C{stack} to the template, parameters and settings in C{changes}
        (the L{Stack} fields that change).
        """
        before = {
            name: copy.deepcopy(getattr(stack, name))
            for name in ("template", "template_body", "given_parameters", "parameters", "parameter_values", "outputs")
        }
        before_settings = {name: getattr(stack, name) for name in changes if name not in before}
        for name, value in changes.items():
            setattr(stack, name, value)
        stack.updated = self.now()
        self.stack_status(stack, "UPDATE_IN_PROGRESS", "User Initiated")
        # name -> (what was done, the resource before)
        touched: dict[str, tuple[str, StackResource | None]] = {}
        reason = None
        try:
            scope, resources, needs = self._plan(stack)
        except AwsError as e:
            resources, needs, reason = {}, {}, e.message

        async def apply(name: str) -> bool:
            definition = resources[name]
            existing = stack.resources.get(name)
            if existing is None or existing.status == "DELETE_COMPLETE":
                touched[name] = ("added", None)
                return await self._create_resource(stack, scope, name, definition, needs[name])
            try:
                properties = intrinsics.evaluate(definition.get("Properties") or {}, scope)
            except AwsError as e:
                self._resource_status(stack, existing, "UPDATE_FAILED", e.message)
                return False
            existing.depends_on = sorted(needs[name])
            existing.deletion_policy = str(definition.get("DeletionPolicy", "Delete"))
            existing.update_replace_policy = str(definition.get("UpdateReplacePolicy", "Delete"))
            existing.metadata = definition.get("Metadata")
            if properties == existing.properties and definition["Type"] == existing.type:
                return True
            old = copy.deepcopy(existing)
            try:
                provisioner = self.provisioner(definition["Type"])
                replace = definition["Type"] != existing.type or provisioner.needs_replacement(
                    existing.properties, properties
                )
                existing.properties = properties
                existing.type = definition["Type"]
                context = self.context(stack, name, existing.type)
                if replace:
                    self._resource_status(stack, existing, "UPDATE_IN_PROGRESS", _REPLACING)
                    touched[name] = ("replaced", old)
                    made = await provisioner.create(context, properties)
                else:
                    self._resource_status(stack, existing, "UPDATE_IN_PROGRESS")
                    touched[name] = ("updated", old)
                    made = await provisioner.update(context, self._made(old), old.properties, properties)
            except Exception as e:
                self._resource_status(stack, existing, "UPDATE_FAILED", _failure_reason(e, "updating", name))
                return False
            self._provisioned(stack, existing, made, "UPDATE_COMPLETE")
            return True

        if reason is None:
            failed = await self._in_order(resources, needs, apply)
            if failed:
                reason = f"The following resource(s) failed to update: [{', '.join(sorted(failed))}]. "
            else:
                try:
                    stack.outputs = self._outputs(stack, scope)
                    in_use = self._exports_in_use_after(stack, before["outputs"])
                    if in_use:
                        reason = in_use
                except AwsError as e:
                    reason = e.message
        if reason is None:
            self.stack_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            removed = [n for n in stack.resources if n not in resources]
            await self._delete_resources(stack, removed)
            for name in removed:
                stack.resources.pop(name, None)
            for kind, old_resource in touched.values():
                if kind == "replaced" and old_resource is not None:
                    await self._delete_resource(stack, old_resource, why="replaced")
            self.stack_status(stack, "UPDATE_COMPLETE")
            return
        await self._roll_back_update(stack, reason, before, before_settings, touched)

    def _exports_in_use_after(self, stack: Stack, outputs_before: list[dict[str, Any]]) -> str | None:
        now_exported = stack.exports()
        for output in outputs_before:
            name = output.get("ExportName")
            if not name or now_exported.get(name) == output.get("OutputValue"):
                continue
            for other in self.store.of(stack.account, stack.region):
                if other is not stack and other.live and name in other.imports:
                    return f"Cannot update export {name} as it is in use by {other.name}"
        return None

    async def _roll_back_update(
        self,
        stack: Stack,
        reason: str,
        before: Mapping[str, Any],
        before_settings: Mapping[str, Any],
        touched: Mapping[str, tuple[str, StackResource | None]],
    ) -> None:
        self.stack_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
        for name, value in {**before, **before_settings}.items():
            setattr(stack, name, value)
        failed = False
        new_replacements: list[StackResource] = []
        for name in reversed(list(touched)):
            kind, old = touched[name]
            current = stack.resources[name]
            if kind == "added":
                if not await self._delete_resource(stack, current, why="create-rollback"):
                    failed = True
                    continue
                del stack.resources[name]
                continue
            assert old is not None
            if kind == "replaced":
                if current.physical_id != old.physical_id:
                    new_replacements.append(copy.deepcopy(current))
                stack.resources[name] = old
                self._resource_status(stack, old, "UPDATE_COMPLETE")
                continue
            self._resource_status(stack, current, "UPDATE_IN_PROGRESS")
            try:
                made = await self.provisioner(old.type).update(
                    self.context(stack, name, old.type), self._made(current), current.properties, old.properties
                )
            except (ResourceFailed, AwsError) as e:
                self._resource_status(stack, current, "UPDATE_FAILED", _reason(e))
                failed = True
                continue
            old.physical_id, old.attributes = made.physical_id, dict(made.attributes)
            stack.resources[name] = old
            self._resource_status(stack, old, "UPDATE_COMPLETE")
        if failed:
            self.stack_status(stack, "UPDATE_ROLLBACK_FAILED")
            return
        self.stack_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        for resource in new_replacements:
            if resource.physical_id:
                await self._delete_resource(stack, resource, why="create-rollback")
        self.stack_status(stack, "UPDATE_ROLLBACK_COMPLETE")


def _reason(error: Exception) -> str:
    if isinstance(error, AwsError):
        return error.message
    return str(error)


def _failure_reason(error: Exception, doing: str, name: str) -> str:
    """
    Why a resource's operation failed, as its event says: the provisioner's
    or the service's message; for anything else (a bug) the traceback is
    logged, and the event says what AWS says of its own failures. Called
    while C{error} is being handled.
    """
    if isinstance(error, (ResourceFailed, AwsError)):
        return _reason(error)
    log.failure(f"CloudFormation: {doing} {{name}} failed", name=name)
    return "Internal Failure"


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)
