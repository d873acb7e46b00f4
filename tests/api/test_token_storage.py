"""API tokens are stored as a plain SHA-256 digest; that holds only because each token carries at
least 256 bits of randomness (docs/decisions.md, "API tokens stay hashed with plain SHA-256")."""

from __future__ import annotations

import base64
import hashlib

import sqlalchemy as sa

from payvand.core.auth import TOKEN_PREFIX, create_token
from payvand.core.models import ApiToken, User


def test_a_token_has_256_random_bits_and_only_its_digest_is_stored(runtime, make_user):
    user = make_user()
    with runtime.sessionmaker.begin() as session:
        secrets = [create_token(session, session.get(User, user.id), f"t{n}")[1] for n in range(3)]
    with runtime.sessionmaker() as session:
        stored = list(session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))
    for secret, row in zip(secrets, stored, strict=False):
        body = secret.removeprefix(TOKEN_PREFIX)
        assert len(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) >= 32
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert body not in repr(row.__dict__) and not row.prefix.endswith(body[:20])
    assert len(set(secrets)) == 3
