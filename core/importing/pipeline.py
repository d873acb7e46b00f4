"""Reading and parsing an import file in batches, in this process or in a forked reader process.

`read_batches` turns a source's rows into `Chunk`s: the parsed records of one batch, the
rows rejected while reading them (line, reason, code, cells, in file order), and how far the
reader got. The import writes each chunk's rejects, then its batch.

`forked_batches` runs the same reading and parsing in a child process (`fork`) that sends
ready chunks through a pipe while the importing process writes the previous batch: the
database's work and the CSV reading/normalising overlap. A thread cannot do this (the GIL).
The pipe bounds what the reader runs ahead (one batch in the child, the pipe's buffer), so
memory stays flat. The child is forked only when that is safe and worth it (`can_fork`): a
process with one thread (`payvand import customers`, a worker process's job; not a web
process's import thread), a platform with `fork`, a file big enough to repay the fork.
When the importing process dies (kill -9), the child's next send meets a closed pipe and it
exits; when the import stops early, the child is terminated.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from payvand.core.importing.records import Record, RowError
from payvand.core.importing.source import CsvSource, problem_code

T = TypeVar("T")
#: A file at least this big (bytes) is read in a forked process when that is possible.
FORK_MIN_BYTES = 1_000_000
#: Environment switch of the automatic choice: "0" never forks, "1" always (tests, comparison).
FORK_ENV = "PAYVAND_IMPORT_READER_PROCESS"


@dataclasses.dataclass
class Chunk:
    """One batch of parsed records, the rejects met while reading it, and the reader's position."""

    records: list[Record]
    rejects: list[tuple[int, str, str, list[str] | None]]
    rows_read: int
    bytes_read: int | None


def read_batches(
    src: CsvSource, parse: Callable[[int, list[str]], Record], batch_size: int
) -> Iterator[Chunk]:
    """Yield the file's rows parsed into chunks of `batch_size` records (the last may be shorter).

    A row the reader cannot read, or the parser refuses (`RowError`), is a reject of the chunk
    being filled; the final chunk may have rejects and no records.
    """
    records: list[Record] = []
    rejects: list[tuple[int, str, str, list[str] | None]] = []
    rows = 0
    for line, cells, problem in src.rows():
        rows += 1
        if problem is not None:
            rejects.append((line, problem, problem_code(problem), cells))
            continue
        try:
            records.append(parse(line, cells))  # type: ignore[arg-type]
        except RowError as exc:
            rejects.append((line, str(exc), exc.code, cells))
            continue
        if len(records) >= batch_size:
            yield Chunk(records, rejects, rows, src.bytes_read)
            records, rejects = [], []
    if records or rejects:
        yield Chunk(records, rejects, rows, src.bytes_read)


def can_fork(total_bytes: int | None, wanted: bool | None = None) -> bool:
    """Whether to read in a forked process: asked for (`wanted`), or None: automatic.

    Automatic: `fork` exists, this process runs one thread (forking a threaded process can
    copy a lock held by another thread), the file is at least `FORK_MIN_BYTES` and the
    `PAYVAND_IMPORT_READER_PROCESS` variable is not "0" ("1" forks whatever the file's size).
    """
    if wanted is False or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if wanted:
        return True
    switch = os.environ.get(FORK_ENV, "")
    if switch in ("0", "1"):
        return switch == "1"
    return threading.active_count() == 1 and (total_bytes or 0) >= FORK_MIN_BYTES


@dataclasses.dataclass
class _Failure:
    """What the child sends when reading failed: the exception, raised again in the importing process."""

    error: BaseException


def _produce(chunks: Iterator[Any], reader: Any, writer: Any) -> None:
    """The child: send every chunk, then None; an exception is sent as a `_Failure`."""
    reader.close()
    try:
        for chunk in chunks:
            writer.send(chunk)
        writer.send(None)
    except (BrokenPipeError, EOFError, OSError):  # the importing process is gone
        return
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        try:
            writer.send(_Failure(exc))
        except Exception:  # noqa: BLE001 - unpicklable: send its text
            writer.send(_Failure(RuntimeError(f"{type(exc).__name__}: {exc}")))


def forked_batches(
    src: CsvSource, parse: Callable[[int, list[str]], Record], batch_size: int
) -> Iterator[Chunk]:
    """`read_batches` run in a forked child process; the chunks arrive here in file order.

    Closing the generator early (the import stops, fails or is cancelled) terminates the child.
    """
    return forked_chunks(read_batches(src, parse, batch_size))


def forked_chunks(chunks: Iterator[T]) -> Iterator[T]:
    """Run the iterator `chunks` in a forked child process and yield what it yields, in order.

    Generic over what a chunk is (a plugin's import sends its parsed rows with their rejects):
    each must pickle. The iterator must not use this process's database connections or
    threads (the child has copies of them): read and parse only. Ask `can_fork` first.
    Closing the generator early terminates the child; an exception in the child is raised here.
    """
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(
        target=_produce,
        args=(chunks, reader, writer),
        name="payvand-import-reader",
        daemon=True,
    )
    child.start()
    writer.close()
    finished = False
    collecting = gc.isenabled()
    # The process runs one thread (`can_fork`), so, as `payvand import customers` does for its own
    # process, automatic collection is off while the import runs: a chunk unpickles as tens of
    # thousands of objects, and the importer keeps its keys for the whole file, which the collector
    # kept re-traversing (about a third of the lead import's writing CPU). Each chunk's garbage is
    # collected (the young generations only) when the next one is asked for.
    gc.disable()
    try:
        while True:
            try:
                item = reader.recv()
            except EOFError:
                raise RuntimeError("the import's reader process ended unexpectedly") from None
            if item is None:
                finished = True
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
            gc.collect(1)
    finally:
        if collecting:
            gc.enable()
        reader.close()
        if not finished:
            child.terminate()
        child.join(timeout=10)
