"""
The RustStack console: web pages under C{/_ruststack/} on the edge port
(everything there except C{health} and C{reset}), rendered server-side with
C{twisted.web.template}.

The console never reads a store: each page calls RustStack's own AWS APIs
through the edge, over a socket, signed as the account the browser chose
(L{client.AwsClient}) -- so tenant rules apply to it as to any client.

How a section adds its pages (the contract; kept backwards compatible):

  1. Add a module C{ruststack/console/sections/<name>.py} defining
     C{SECTION = pages.Section(name, title, service, routes, summary, order)}.
     It is found by itself (no list to edit), listed in the navigation and
     served under C{/_ruststack/<name>/} when C{service} (a name of
     C{config.SERVICE_PACKAGES}, or a tuple of them) runs.
  2. Each L{pages.Route} has a C{pattern} below the section (C{""} is its
     index, C{"functions/{name}"} matches one decoded segment into
     C{view.params["name"]}), a handler C{async def page(view: View) ->
     Page | Redirect | TAKEN}, and the methods it answers (GET and HEAD by
     default; POST forms are refused unless same-origin).
  3. A handler reads C{view.arg(name)} (query or form, UTF-8), calls AWS with
     C{await view.client.call("lambda", "GetFunction", {...})} (a dict, as
     boto3 answers), and returns C{Page(title, body, status, crumbs,
     scripts)} whose C{body} is built with C{twisted.web.template.tags} and
     the helpers of L{pages} (C{table}, C{definitions}, C{link}) -- never
     markup built from strings. Links are built with C{pages.url(*segments,
     **query)}, which quotes every part.
  4. An L{client.AwsCallError} a handler lets through is shown as a page
     with AWS's code and message (its 4xx status; 502 for others);
     raise L{pages.NotFound} for a 404 page. Anything else is logged and
     answered with a plain 500 page.
  5. To stream (a download, server-sent events), write to C{view.request}
     yourself and return L{pages.TAKEN}; finish the request when done.
     C{view.client.open(service, operation, params)} gives the raw response
     of a call (its body unread) for streaming.
  6. Static files (JS, CSS) go in C{ruststack/console/static/} and are
     served at C{pages.url("static", name)}; a page loads extra scripts
     with C{Page(scripts=[name])}. Pages send a Content-Security-Policy of
     C{'self'} only: no inline scripts or styles.
"""
