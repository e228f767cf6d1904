"""
The Velocity evaluator of mapping templates: AWS's documented examples,
Velocity's directives and operators, API Gateway's C{$input} and C{$util},
and the bounds that keep a hostile template from crashing or hanging.
"""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.apigateway import vtl
from ruststack.apigateway.mapping import Input, json_path

PARAMS = {"path": {"petId": "7"}, "querystring": {"type": "dog", "q": "a b"}, "header": {"X-Trace": "it's"}}


def variables(body: str = "", params=None, **more):
    return {
        "input": Input(body, params or PARAMS),
        "util": vtl.Util(),
        "context": {"stage": "dev", "requestId": "r-1", "identity": {"sourceIp": "192.0.2.1"}},
        "stageVariables": {"table": "pets"},
        **more,
    }


def render(template: str, body: str = "", **more) -> str:
    return vtl.render(template, variables(body, **more))


# AWS's developer guide, "Examples using variables for mapping template
# transformations" (Example 2: every request parameter in a JSON payload).
ALL_PARAMS = """#set($allParams = $input.params())
{
  "params" : {
    #foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
    "$type" : {
      #foreach($paramName in $params.keySet())
      "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
      #if($foreach.hasNext),#end
      #end
    }
    #if($foreach.hasNext),#end
    #end
  }
}
"""

# The PetStore example's integration response template ("Mapping template
# transformations for REST APIs").
PETS = """#set($inputRoot = $input.path('$'))
[
#foreach($elem in $inputRoot)
  {
    "description" : "Item $elem.id is a $elem.type.",
    "askingPrice" : $elem.price
  }#if($foreach.hasNext),#end

#end
]
"""


def test_all_request_parameters_example():
    params = {"path": {"petId": "7"}, "querystring": {"type": "dog"}, "header": {"X-Trace": "one"}}
    out = vtl.render(ALL_PARAMS, variables(params=params))
    assert json.loads(out) == {"params": params}


def test_petstore_response_example():
    body = json.dumps([{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}])
    assert json.loads(render(PETS, body)) == [
        {"description": "Item 1 is a dog.", "askingPrice": 249.99},
        {"description": "Item 2 is a cat.", "askingPrice": 124.99},
    ]


def test_context_and_stage_variables_example():
    template = '{"stage": "$context.stage", "request_id": "$context.requestId", "ip": "$context.identity.sourceIp",'
    template += ' "table": "$stageVariables.table"}'
    assert json.loads(render(template)) == {"stage": "dev", "request_id": "r-1", "ip": "192.0.2.1", "table": "pets"}


def test_input_json_and_path():
    body = '{"name": "Ana", "pets": [{"id": 1}, {"id": 2}], "n": 3}'
    assert render("$input.json('$')", body) == '{"name":"Ana","pets":[{"id":1},{"id":2}],"n":3}'
    assert render("$input.json('$.pets[1]')", body) == '{"id":2}'
    assert render("$input.json('$.name')", body) == '"Ana"'
    assert render("$input.path('$.name')", body) == "Ana"
    assert render("$input.path('$.pets').size()", body) == "2"
    assert render("$input.path('$.pets[0].id')", body) == "1"
    assert render("$input.path('$.pets[*].id')", body) == "[1, 2]"
    assert render("$input.path('$.n') + 1", body) == "3 + 1"
    assert render("#set($n = $input.path('$.n') + 1)$n", body) == "4"
    # Nothing there: an empty reference, and JSON null.
    assert render("[$input.path('$.missing')]", body) == "[]"
    assert render("$input.json('$.missing')", body) == "null"
    assert render("$input.body", body) == body
    # An empty body is an empty object.
    assert render("$input.json('$')", "") == "{}"


def test_input_params_lookup_order():
    params = {"path": {"id": "p"}, "querystring": {"id": "q", "only": "q"}, "header": {"Only-Header": "h"}}
    assert vtl.render("$input.params('id')", variables(params=params)) == "p"
    assert vtl.render("$input.params('only')", variables(params=params)) == "q"
    assert vtl.render("$input.params('only-header')", variables(params=params)) == "h"
    assert vtl.render("[$input.params('none')]", variables(params=params)) == "[]"
    assert vtl.render("$input.params().querystring.id", variables(params=params)) == "q"


def test_util_functions():
    assert render("$util.escapeJavaScript($s)", s="é'\"/\\\n\t\x01😀") == (
        "\\u00E9\\'\\\"\\/\\\\\\n\\t\\u0001\\uD83D\\uDE00"
    )
    assert render("$util.urlEncode('a b&c=d/é*~')") == "a+b%26c%3Dd%2F%C3%A9*%7E"
    assert render("$util.urlDecode('a+b%26c')") == "a b&c"
    assert render("$util.base64Encode('hello')") == "aGVsbG8="
    assert render("$util.base64Decode('aGVsbG8=')") == "hello"
    assert render("#set($o = $util.parseJson($input.body))$o.a.b", '{"a": {"b": [1, 2]}}') == "[1, 2]"
    assert render("[$util.parseJson('not json')]") == "[]"
    assert render("[$util.noSuchFunction('x')]") == "[]"


def test_directives():
    assert render("#if($a > 1 && !$b)big#elseif($a == 1)one#{else}none#end", a=1) == "one"
    assert render("#if($a gt 1 and not $b)big#{end}", a=2) == "big"
    assert render("#foreach($i in [1..4])$i#if($foreach.hasNext),#end#end") == "1,2,3,4"
    assert render("#foreach($i in [3..1])$velocityCount:$i #end") == "1:3 2:2 3:1 "
    assert render("#foreach($i in [1, 2, 3])#if($i == 2)#break#end$i#end") == "1"
    assert render("#set($m = {'k': [1, 'two']})$m.k.get(1) $m.keySet() $m") == "two [k] {k=[1, two]}"
    assert render('#set($x = "v")#set($s = "a $x ${x}s")$s') == "a v vs"
    assert render("#set($x = 'no $interpolation')$x") == "no $interpolation"
    assert render("## a comment\n#* a block\ncomment *#text#[[ $raw #if ]]#") == "text $raw #if "
    assert render("$$5 # not a directive $ alone") == "$$5 # not a directive $ alone"
    assert render("${name}s and $!name and $name.", name="pet") == "pets and pet and pet."


def test_escaped_references():
    assert render(r"\$name \\$name \\\$name \$nobody", name="Rex") == r"$name \Rex \$name \$nobody"


def test_set_to_null_keeps_the_value():
    template = "#foreach($pet in $pets)#set($tag = $pet.tag)$tag;#end"
    assert render(template, pets=[{"tag": "a"}, {}, {"tag": "c"}]) == "a;a;c;"


def test_lines_with_only_a_directive_vanish():
    template = '{\n  #set($x = 1)\n  #if($x == 1)\n  "x": $x\n  #end\n}\n'
    assert render(template) == '{\n  "x": 1\n}\n'


def test_arithmetic_and_comparisons_as_in_java():
    assert render("#set($x = 7 / 2)$x #set($y = -7 % 2)$y #set($z = 7.0 / 2)$z") == "3 -1 3.5"
    assert render("#set($x = 1 / 0)[$x]") == "[]"
    assert render("#set($s = 'a' + 1 + 2.0)$s") == "a12.0"
    assert render("#if('1' == 1)same#end #if(1 == 1.0)equal#end #if($nothing == $undefined)nulls#end") == (
        "same equal nulls"
    )
    assert render("#if('b' > 'a')yes#end#if('b' > 1)no#end") == "yes"


def test_string_methods():
    s = "Hello, World"
    assert render("$s.length() $s.toLowerCase() $s.substring(7) $s.indexOf('o')", s=s) == "12 hello, world World 4"
    assert render("$s.replaceAll('[lo]+', '_') $s.split(', ') $s.contains('World')", s=s) == (
        "He_, W_r_d [Hello, World] true"
    )
    assert render("$s.startsWith('He') $s.matches('H.*d') $s.replace(',', '') $s.charAt(0)", s=s) == (
        "true true Hello World H"
    )


def test_set_into_maps_as_response_overrides_do():
    context: dict = {"responseOverride": {"status": None, "header": {}}}
    template = "#set($context.responseOverride.status = 201)#set($context.responseOverride.header.X-Id = 'a')"
    vtl.render(template, {"context": context})
    # render works on a copy of the variables, not of the maps they hold.
    assert context == {"responseOverride": {"status": 201, "header": {"X-Id": "a"}}}


def test_no_python_is_reachable():
    # Only listed members: no attributes, dunders or Python methods of values.
    for template in (
        "$s.__class__",
        "$s.format($s)",
        "$s.join($s)",
        "$util.__init__",
        "$util.methods()",
        "$input.document()",
        "$input.params.__class__",
        "$m.items()",
        "$m.__len__()",
    ):
        assert render(f"[{template}]", s="x", m={"a": 1}) == "[]", template


@pytest.mark.parametrize(
    "template, message",
    [
        ("#if($x)", "#if without #end"),
        ("#end", "#end without #if or #foreach"),
        ("#foreach($i in [1..100000000])$i#end", "range too large"),
        ("#set($x = 'ab')#foreach($i in [1..60])#set($x = \"$x$x\")#end", "template output too large"),
        ("(" * 10 + "#set($x = " + "(" * 100 + "1" + ")" * 100 + ")", "nested too deeply"),
        ("#set(", "needs a reference"),
        ("$a.b(", "expression expected"),
    ],
)
def test_bad_templates_are_errors(template, message):
    with pytest.raises(vtl.VtlError, match=message):
        render(template)


def test_foreach_stops_at_1000_iterations():
    out = render("#foreach($i in $list)x#end", list=list(range(5000)))
    assert out == "x" * vtl.MAX_FOREACH


def test_steps_are_bounded():
    nested = "#foreach($a in [1..999])#foreach($b in [1..999])#set($c = 1)#end#end"
    with pytest.raises(vtl.VtlError, match="too many steps"):
        render(nested)


def test_json_path_subset():
    document = {"a": {"b c": [1, {"d": 2}]}, "e": [1, 2]}
    assert json_path(document, "$") == document
    assert json_path(document, "$.a['b c'][1].d") == 2
    assert json_path(document, "$.e[-1]") == 2
    assert json_path(document, "$.e[*]") == [1, 2]
    assert json_path(document, "$..d") is None
    assert json_path(document, "a") is None


# -- hostile templates -------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "$",
        "$!",
        "${",
        "}",
        "#",
        "#set(",
        "#if(",
        "#elseif(",
        "#else",
        "#end",
        "#foreach(",
        "#break",
        " in ",
        "(",
        ")",
        "[",
        "]",
        "{",
        "..",
        ",",
        ":",
        "'",
        '"',
        "=",
        "==",
        "+",
        "-",
        "*",
        "/",
        "%",
        "!",
        "&&",
        "||",
        "$x",
        "$input",
        ".json('$')",
        ".path('$.a')",
        ".params()",
        "$util.escapeJavaScript(",
        "$util.parseJson(",
        "$foreach.hasNext",
        "1",
        "1.5",
        "999",
        "true",
        "null",
        "##",
        "#*",
        "*#",
        "#[[",
        "]]#",
        "\n",
        " ",
        "a",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=40).map("".join) | st.text(max_size=200))
def test_hostile_templates_never_crash(template):
    budget = vtl.Budget(steps=20_000, output=100_000)
    try:
        out = vtl.render(template, variables('{"a": [1, 2, {"b": "c"}]}', x=[1, 2, 3]), budget)
    except vtl.VtlError:
        return
    assert isinstance(out, str) and len(out) <= 100_000


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=12,
    )
)
def test_any_json_value_renders(value):
    assert isinstance(render("$v $v.size() $v.get(0) $v.toString() #foreach($i in $v)$i#end", v=value), str)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="$.[]*'\"-0123456789abc ", max_size=30))
def test_json_path_never_crashes(path):
    document = {"a": [1, {"b": "c"}], "b": {"c": None}}
    json_path(document, path)
    assert isinstance(render("$input.json($p) $input.path($p)", json.dumps(document), p=path), str)


@pytest.mark.parametrize(
    "template",
    [
        "#foreach($a in [1..999])#foreach($b in [1..999])#set($j = $input.json('$'))#end#end",
        "#foreach($a in [1..999])#foreach($b in [1..999])#set($j = $input.body.toUpperCase())#end#end",
        '#foreach($a in [1..999])#foreach($b in [1..999])#set($j = "$input.body")#end#end',
        "#set($l = [])#foreach($a in [1..999])$l.add($input.body)#end"
        "#foreach($a in [1..999])#if($l.contains('x'))#end#end",
        "#set($l = [1])$l.add($l)$l #if($l == [1])#end",
    ],
)
def test_work_on_big_values_is_bounded(template):
    body = json.dumps({"text": "x" * 1_000_000})
    started = time.monotonic()
    with pytest.raises(vtl.VtlError):
        render(template, body)
    assert time.monotonic() - started < 10
