"""The lead import, which the staff page runs inside a web request, leaves Python's garbage
collector alone (it is one per process; tests/test_gc_left_alone.py has the customer import)."""

from __future__ import annotations

import io

from payvand.plugins.sales.services.lead_import import import_leads
from tests.test_gc_left_alone import collector


def test_the_lead_import_leaves_the_collector_alone(in_app, db_session):
    during: list[tuple[bool, bool]] = []

    class Watched(io.BytesIO):  # notes the collector's state whenever the import reads the file
        def read(self, size: int | None = -1) -> bytes:
            during.append(collector())
            return super().read(size)

        def read1(self, size: int | None = -1) -> bytes:
            during.append(collector())
            return super().read1(size)

    text = "name,email\n" + "".join(f"Lead {i},lead{i}@example.com\n" for i in range(3000))  # read in several chunks
    result = import_leads(Watched(text.encode()), batch_size=100)
    assert result.created == 3000
    assert len(during) > 2 and set(during) == {(True, False)}
