"""Assertions on click `Result`s shared by the CLI tests.

Every command that opens a database first prints `Database: <url>` on standard error; these
helpers leave that line out of what they return (tests of it look at `result.stderr`).
"""

from __future__ import annotations

from click.testing import Result

DATABASE_LINE = "Database: "


def without_database_line(text: str) -> str:
    """`text` without the `Database: ...` lines a command prints when it opens the database."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith(DATABASE_LINE))


def ok(result: Result) -> str:
    """The output of a command that must have succeeded (without the `Database:` line)."""
    assert result.exit_code == 0, result.output
    assert result.exception is None
    return without_database_line(result.output)


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """A failed command: non-zero exit, no traceback, one `Error: ...` line naming the problem."""
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = without_database_line(result.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
