"""
IAM: roles, their inline and attached policies, customer managed policies
with their versions, a table of AWS managed policies, and users with access
keys -- stored faithfully per account, never enforced.
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing): IAM is global, signed for
# us-east-1 (any region is accepted); it has no X-Amz-Target, being query.
CLAIMS = Claims(signing_names=("iam",), model="iam")
