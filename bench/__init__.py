"""
RustStack's benchmark suite: RustStack side by side with its peers (moto's
server, DynamoDB Local reached directly, nginx as the loopback ceiling), in
the same run, interleaved. Run it with C{make bench} or
C{python -m bench [--only s3,dynamodb] [--quick]}; see the README, "Benchmarks".
"""
