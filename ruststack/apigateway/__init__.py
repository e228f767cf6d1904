"""
API Gateway REST APIs (v1): the control plane subset deploy tools use, and
the execute-api data plane in front of Lambda proxy integrations.
"""
