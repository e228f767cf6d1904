"""
AWS STS: who the caller is, and temporary credentials for roles that
RustStack then accepts, as the role's account.
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing). AssumeRoleWithWebIdentity
# comes unsigned, as a form posted to /.
CLAIMS = Claims(signing_names=("sts",), unsigned_forms=True, model="sts")
