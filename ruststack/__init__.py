"""
RustStack: a local AWS emulator (S3, DynamoDB, Lambda, API Gateway) on Twisted.
"""

__version__ = "0.1.0"
