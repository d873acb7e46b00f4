"""Python's garbage collector is one per process: the importers, which a web process runs in a
thread (customer import jobs) or in a request (the lead import page, tests/sales/test_lead_import_gc.py),
leave it alone; only
`payvand import customers`, which owns its process, pauses it, and gives it back afterwards, and
an import whose file is read by a forked reader (only ever in a one-thread process) while it
consumes the chunks."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.core.importer import ImportOptions, import_customers


def collector() -> tuple[bool, bool]:
    """(automatic collection on, objects frozen) right now."""
    return gc.isenabled(), gc.get_freeze_count() > 0


def people(rows: int) -> str:
    return "given_name,family_name,email\n" + "".join(f"Ali,Rezaei,a{i}@example.com\n" for i in range(rows))


@pytest.fixture
def collections() -> Iterator[list[tuple[int, bool, bool]]]:
    """(generation, automatic collection on, frozen) of every collection that starts meanwhile."""
    seen: list[tuple[int, bool, bool]] = []

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append((info["generation"], *collector()))

    gc.callbacks.append(watch)
    yield seen
    gc.callbacks.remove(watch)


def test_the_customer_importer_leaves_the_collector_alone(runtime, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(people(30), encoding="utf-8")
    during: list[tuple[bool, bool]] = []
    report = import_customers(runtime, path, ImportOptions(batch_size=5), progress=lambda _: during.append(collector()))
    assert report.inserted == 30
    assert during and set(during) == {(True, False)}


def test_payvand_import_customers_pauses_the_collector_for_its_own_process_only(runtime, tmp_path, collections):
    path = tmp_path / "people.csv"
    path.write_text(people(30), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--instance", str(tmp_path / "instance"), "--database-url",
                                      runtime.config["PAYVAND_DATABASE_URL"], "import", "customers", str(path),
                                      "--batch-size", "5", "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    paused = [generation for generation, enabled, frozen in collections if not enabled]
    assert paused and set(paused) == {1}  # only the young generations, once per batch, with the rest frozen
    assert all(frozen for _, enabled, frozen in collections if not enabled)
    assert collector() == (True, False)  # given back


def test_a_forked_readers_consumer_runs_without_automatic_collection_and_gets_it_back(collections):
    """`forked_chunks` runs only in a one-thread process (`can_fork`): while the import consumes the
    chunks automatic collection is off, each chunk's young garbage is collected when the next is
    asked for, and the collector is given back at the end or when the import stops early."""
    from payvand.core.importing.pipeline import forked_chunks

    assert collector() == (True, False)
    states = [gc.isenabled() for _ in forked_chunks(iter([[1], [2], [3]]))]
    assert states == [False, False, False] and gc.isenabled()
    assert [generation for generation, on, _ in collections if not on] == [1, 1, 1]  # after each chunk
    chunks = forked_chunks(iter([[1], [2], [3]]))
    next(chunks)
    assert not gc.isenabled()
    chunks.close()
    assert gc.isenabled()
