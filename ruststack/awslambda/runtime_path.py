"""
What Lambda's Python runtime provides besides the standard library:
awslambdaric, boto3 and botocore with their dependencies, and nothing else
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html). RustStack's
own interpreter has many more packages; its environments see only these,
through a folder of links (Lambda's C{/var/runtime}), so that a function that
forgot to bundle a dependency fails here as it would on AWS.
"""

from __future__ import annotations

import importlib.metadata
import os

RUNTIME_DISTRIBUTIONS = (
    "awslambdaric",
    "snapshot-restore-py",
    "simplejson",
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)


def runtime_modules() -> dict[str, str]:
    """
    The top-level modules and packages of the runtime's distributions (those
    installed): name -> path.
    """
    modules: dict[str, str] = {}
    for name in RUNTIME_DISTRIBUTIONS:
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        tops = {
            file.parts[0]
            for file in distribution.files or ()
            if not file.parts[0].endswith((".dist-info", ".data")) and file.parts[0] not in ("..", "__pycache__")
        }
        for top in tops:
            source = os.path.realpath(str(distribution.locate_file(top)))
            if os.path.exists(source):
                modules.setdefault(top, source)
    return modules


def link_runtime(folder: str) -> str:
    """
    Fill C{folder} with links to L{runtime_modules}; return it.
    """
    os.makedirs(folder, exist_ok=True)
    for top, source in runtime_modules().items():
        link = os.path.join(folder, top)
        if not os.path.lexists(link):
            os.symlink(source, link)
    return folder
