"""The service plugin's permissions (`service.<thing>.<action>`), declared through `payvand_permissions`."""

from __future__ import annotations

from payvand.sdk import N_, PermissionSpec

TICKET_VIEW = "service.ticket.view"
TICKET_EDIT = "service.ticket.edit"  # create, reply, note, change status, assign, merge, split
TICKET_ALL = "service.ticket.all"  # every team's tickets (managers)
MANAGE = "service.manage"  # teams, assignment rules, calendars, SLA policies
LIVE_CHAT = "service.live_chat"  # the live chat console: take, answer and transfer web chats
RETURN_DECIDE = "service.return.decide"  # approve, reject, refund, replace returns

PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec(TICKET_VIEW, N_("See tickets (their teams' and their own, unless service.ticket.all)")),
    PermissionSpec(TICKET_EDIT, N_("Open, answer, assign, merge and close tickets")),
    PermissionSpec(TICKET_ALL, N_("See and work on every team's tickets")),
    PermissionSpec(MANAGE, N_("Manage service teams, assignment rules, calendars and SLA policies")),
    PermissionSpec(LIVE_CHAT, N_("Answer web chats in the live console: take, answer and transfer them")),
    PermissionSpec(RETURN_DECIDE, N_("Approve or reject returns and refund or replace returned items")),
)

NPS_SEND = "service.nps.send"  # send the NPS relationship survey to customers
PERMISSIONS += (PermissionSpec(NPS_SEND, N_("Send the NPS survey to customers (those who consented to marketing)")),)

KB_WRITE = "service.kb.write"  # write, edit and publish knowledge-base articles
PERMISSIONS += (PermissionSpec(KB_WRITE, N_("Write, edit and publish knowledge-base articles")),)
