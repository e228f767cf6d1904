# The test rewrites this to prove that a redeploy ships new code.
CODE = "one"
