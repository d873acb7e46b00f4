"""Test apps hash passwords with a cheap Argon2id profile; deployments keep the real one.

`payvand.sdk.testing` sets `PAYVAND_PASSWORD_PROFILE=fast` for speed (every `make_user` and
login hashes). This test holds the default — what every deployment uses — to Argon2id with
RFC 9106's low-memory parameters, hashing and verifying for real.
"""

from __future__ import annotations

import argon2

from payvand.core.auth import hash_password, verify_password
from payvand.core.config import build_config
from payvand.core.models import User


def test_deployments_hash_with_the_real_argon2id_parameters_and_tests_with_the_cheap_ones(app):
    assert build_config({}, create_instance=False)["PAYVAND_PASSWORD_PROFILE"] == "default"
    assert app.config["PAYVAND_PASSWORD_PROFILE"] == "fast"
    stored = hash_password("correct horse battery")
    parameters = argon2.extract_parameters(stored)
    real = argon2.profiles.RFC_9106_LOW_MEMORY
    assert (parameters.type, parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (
        argon2.Type.ID, real.time_cost, real.memory_cost, real.parallelism)
    user = User(password_hash=stored)
    assert verify_password(user, "correct horse battery") and not verify_password(user, "correct horse")
    cheap = argon2.extract_parameters(hash_password("x", "fast"))
    assert cheap.memory_cost < real.memory_cost
