"""
Log observers for C{--log-format}.
"""

from __future__ import annotations

import sys

from twisted.logger import ILogObserver, jsonFileLogObserver


def json_observer() -> ILogObserver:
    """
    One JSON object per event on standard output (record separators
    included, as L{twisted.logger.eventsFromJSONLogFile} reads them).
    """
    return jsonFileLogObserver(sys.stdout)
