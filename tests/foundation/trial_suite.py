"""
A trial suite using RustStack as the README shows it (run by
test_trial.py through `python -m twisted.trial`, not by pytest).
"""

from twisted.trial import unittest

from ruststack.testing import start_stack


class BucketTests(unittest.TestCase):
    # trial awaits a coroutine setUp; typeshed's unittest.TestCase.setUp
    # returns None, which trial's TestCase inherits.
    async def setUp(self):  # type: ignore[override]
        self.stack = await start_stack(services=("s3",))
        self.addCleanup(self.stack.stop)

    async def test_bucket(self):
        s3 = self.stack.deferred_client("s3")
        await s3.create_bucket(Bucket="notes-bucket")
        names = [bucket["Name"] for bucket in (await s3.list_buckets())["Buckets"]]
        self.assertEqual(names, ["notes-bucket"])

    async def test_buckets_are_per_stack(self):
        s3 = self.stack.deferred_client("s3")
        self.assertEqual((await s3.list_buckets())["Buckets"], [])
