"""
EventBridge (botocore's C{events}, the json protocol under C{AWSEvents}):
rules of the default event bus with their targets and tags, stored per
account and region -- stored, never fired (docs/events.md).
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing).
CLAIMS = Claims(signing_names=("events",), target_prefixes=("AWSEvents",), model="events")
