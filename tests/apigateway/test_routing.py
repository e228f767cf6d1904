"""
Resource matching as API Gateway does it: literal before {param} before
{proxy+}, the method before ANY, and 403 (None here) otherwise.
"""

from ruststack.apigateway.model import ApiResource, Method
from ruststack.apigateway.routing import Route, Router


def resource(rid: str, path: str, *methods: str) -> ApiResource:
    return ApiResource(id=rid, path=path, methods={m: Method(m) for m in methods})


ROUTER = Router(
    [
        resource("root", "/", "ANY"),
        resource("notes", "/notes", "GET"),
        resource("note", "/notes/{id}", "GET", "DELETE"),
        resource("special", "/notes/special", "GET"),
        resource("files", "/files"),
        resource("file", "/files/{name}", "PUT"),
        resource("proxy", "/{proxy+}", "ANY"),
    ]
)


def matched(method: str, path: str, router: Router = ROUTER) -> Route:
    route = router.match(method, path)
    assert route is not None, f"no route for {method} {path}"
    return route


def test_literal_wins_over_variable():
    route = matched("GET", "/notes/special")
    assert route.resource.id == "special"
    assert route.path_parameters == {}


def test_variable_binds_decoded_segment():
    route = matched("GET", "/notes/caf%C3%A9")
    assert route.resource.id == "note"
    assert route.path_parameters == {"id": "café"}


def test_greedy_takes_the_rest_when_nothing_more_specific_matches():
    route = matched("POST", "/a/b/c")
    assert route.resource.id == "proxy"
    assert route.path_parameters == {"proxy": "a/b/c"}


def test_backtracks_from_a_literal_dead_end_to_the_greedy_variable():
    route = matched("GET", "/notes/1/comments")
    assert route.resource.id == "proxy"
    assert route.path_parameters == {"proxy": "notes/1/comments"}


def test_root_is_not_matched_by_the_greedy_variable():
    assert matched("GET", "/").resource.id == "root"


def test_method_before_any_and_missing_method_is_no_route():
    assert matched("DELETE", "/notes/1").method.http_method == "DELETE"
    # /notes has GET only: POST is refused, not handed to {proxy+}.
    assert ROUTER.match("POST", "/notes") is None


def test_resource_without_methods_falls_through():
    # /files has no method: the greedy resource serves it.
    assert matched("GET", "/files").resource.id == "proxy"


def test_no_match_without_greedy():
    router = Router([resource("root", "/", "GET"), resource("a", "/a", "GET")])
    assert router.match("GET", "/b") is None
    assert matched("GET", "/a/", router).resource.id == "a"
