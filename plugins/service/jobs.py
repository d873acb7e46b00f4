"""The service plugin's scheduled jobs: closing solved tickets and the SLA check."""

from __future__ import annotations

from payvand.sdk import JobSpec, session


def _close_solved() -> int:
    from payvand.plugins.service.services.tickets import close_solved

    return close_solved(session())


def _sla_check() -> dict[str, int]:
    from payvand.plugins.service.services.sla import check

    return check(session())


JOBS: tuple[JobSpec, ...] = (
    JobSpec("service.close_solved", _close_solved, 3600,
            "Close tickets solved more than service.close_after_days days ago"),
    JobSpec("service.sla_check", _sla_check, 300, "Warn before SLA breaches and escalate breached tickets"),
)
