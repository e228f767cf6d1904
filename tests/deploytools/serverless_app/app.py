"""
The notes app (examples/flask_app, copied beside this file as notes.py by
the test) as serverless-wsgi serves it: the plugin's own handler
(wsgi_handler.handler) wraps the Flask app that custom.wsgi.app names. One
route of its own says which release runs and logs a line for
`serverless logs` to find.
"""

from notes import create_app

RELEASE = "one"

app = create_app()


@app.get("/release")
def release():
    print(f"serving release {RELEASE}", flush=True)
    return {"release": RELEASE}
