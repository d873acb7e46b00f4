"""Assertions on click `Result`s shared by the CLI tests."""

from __future__ import annotations

from click.testing import Result


def ok(result: Result) -> str:
    """The output of a command that must have succeeded."""
    assert result.exit_code == 0, result.output
    assert result.exception is None
    return result.output


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """A failed command: non-zero exit, no traceback, one `Error: ...` line naming the problem."""
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
