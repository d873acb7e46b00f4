"""Test configuration: the fixtures come from `payvand.sdk.testing` (the pytest11 plugin)."""
