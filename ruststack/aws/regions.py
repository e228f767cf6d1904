"""
Which names are AWS regions: those botocore's endpoint data lists, in every
partition. A credential scope naming anything else is refused before it
reaches a service, so that a region cannot be a path, a file name or a way
to make a backend create state without bound.
"""

from __future__ import annotations

import functools


@functools.cache
def known_regions() -> frozenset[str]:
    from botocore.loaders import create_loader

    endpoints = create_loader().load_data("endpoints")
    return frozenset(region for partition in endpoints["partitions"] for region in partition["regions"])


def is_region(name: str) -> bool:
    return name in known_regions()
