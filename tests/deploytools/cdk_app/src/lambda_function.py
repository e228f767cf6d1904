"""
The Lambda entry point of the notes app for the CDK: the Flask app of
examples/flask_app (copied beside this module by the test) with one more
route, which says which release is deployed and logs a line.
"""

import os

from app import app, handler  # noqa: F401  (handler is the function's entry point)
from release import CODE


@app.get("/release")
def release():
    # A line for `aws logs tail` to find.
    print(f"release {os.environ['RELEASE']} serving code {CODE}", flush=True)
    return {"release": os.environ["RELEASE"], "code": CODE}
