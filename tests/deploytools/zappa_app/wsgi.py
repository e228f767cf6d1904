"""
The notes app (examples/flask_app, copied beside this file by the test) as
Zappa serves it: Zappa's own handler wraps the Flask app named by
app_function, so apig_wsgi's handler goes unused. One route of its own says
which release runs and logs a line for `zappa tail` to find.
"""

from app import create_app

RELEASE = "one"

app = create_app()


@app.get("/release")
def release():
    print(f"serving release {RELEASE}", flush=True)
    return {"release": RELEASE}
