"""Marshmallow schemas of the service API."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from payvand.plugins.service.models import PRIORITIES, STATUSES, TYPES
from payvand.plugins.service.services.lists import TICKETS

_REF = validate.Regexp(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*:[A-Za-z0-9_.-]{1,64}$",
                       error="A reference is <plugin>.<kind>:<id>, e.g. sales.order:42.")


class AttachmentOut(Schema):
    """A file on an entry (download it from the staff page)."""

    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)


class EntryOut(Schema):
    """One entry of the conversation."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "inbound, reply, note, call or visit"})
    public = fields.Boolean(required=True)
    body = fields.String(required=True)
    message_id = fields.Integer(allow_none=True)
    author_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    attachments = fields.List(fields.Nested(AttachmentOut))


class TicketOut(Schema):
    """A ticket; `version` goes back with a reply (collision check)."""

    id = fields.Integer(required=True)
    customer_id = fields.Integer(required=True)
    type = fields.String(required=True)
    subject = fields.String(required=True)
    status = fields.String(required=True)
    priority = fields.String(required=True)
    category = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    language = fields.String(allow_none=True)
    channel = fields.String(required=True)
    source = fields.String(required=True)
    references = fields.List(fields.String())
    team_id = fields.Integer(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    merged_into_id = fields.Integer(allow_none=True)
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    first_response_at = fields.DateTime(allow_none=True)
    solved_at = fields.DateTime(allow_none=True)
    first_response_due_at = fields.DateTime(allow_none=True)
    next_response_due_at = fields.DateTime(allow_none=True)
    resolution_due_at = fields.DateTime(allow_none=True)
    sla_breached = fields.Boolean()
    contract_id = fields.Integer(allow_none=True)


class TicketDetail(TicketOut):
    """A ticket with its conversation."""

    entries = fields.List(fields.Nested(EntryOut))


class TicketPage(Schema):
    """One page of tickets; pass `next_cursor` as `cursor` for the next."""

    items = fields.List(fields.Nested(TicketOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


TicketListArgs = TICKETS.args_schema("TicketListArgs")


class TicketIn(Schema):
    """A new ticket: the customer's words (`kind` inbound, from an integration) or a logged call or visit."""

    class Meta:
        unknown = EXCLUDE

    customer_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=500))
    body = fields.String(load_default="", validate=validate.Length(max=100_000))
    kind = fields.String(load_default="inbound", validate=validate.OneOf(["inbound", "call", "visit"]))
    type = fields.String(load_default="question", validate=validate.OneOf(TYPES))
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    category = fields.String(allow_none=True, validate=validate.Length(max=120))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=60)), load_default=list)
    language = fields.String(allow_none=True, validate=validate.OneOf(["fa", "en"]))
    channel = fields.String(load_default="email", validate=validate.Length(min=1, max=32))
    references = fields.List(fields.String(validate=_REF), load_default=list)
    team_id = fields.Integer(allow_none=True, strict=True)
    assignee_id = fields.Integer(allow_none=True, strict=True)


class TicketPatch(Schema):
    """Changes to a ticket; `version` (optional) refuses the change when someone else changed it first."""

    class Meta:
        unknown = EXCLUDE

    version = fields.Integer(strict=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    type = fields.String(validate=validate.OneOf(TYPES))
    category = fields.String(allow_none=True, validate=validate.Length(max=120))
    subject = fields.String(validate=validate.Length(min=1, max=500))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=60)))
    language = fields.String(allow_none=True, validate=validate.OneOf(["fa", "en"]))
    references = fields.List(fields.String(validate=_REF))
    team_id = fields.Integer(allow_none=True, strict=True)
    assignee_id = fields.Integer(allow_none=True, strict=True)


class ReplyIn(Schema):
    """A staff reply (`public` true: sent to the customer) or internal note, with the `version` seen."""

    class Meta:
        unknown = EXCLUDE

    body = fields.String(required=True, validate=validate.Length(min=1, max=100_000))
    public = fields.Boolean(load_default=True)
    version = fields.Integer(required=True, strict=True)
    status = fields.String(validate=validate.OneOf(STATUSES))


class MergeIn(Schema):
    """Merge this ticket into `target_id`."""

    target_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))


class SplitIn(Schema):
    """Split an entry off into a new ticket."""

    class Meta:
        unknown = EXCLUDE

    subject = fields.String(validate=validate.Length(min=1, max=500))


_HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", error="A time is HH:MM.")


class MemberIO(Schema):
    """A team member and whether they take new tickets now."""

    class Meta:
        unknown = EXCLUDE

    user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))
    available = fields.Boolean(load_default=True)


class TeamIO(Schema):
    """A team: its members, languages, skills and assignment strategy."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    languages = fields.List(fields.String(validate=validate.Length(min=2, max=8)), load_default=list)
    skills = fields.List(fields.String(validate=validate.Length(min=1, max=60)), load_default=list)
    strategy = fields.String(load_default="round_robin", validate=validate.OneOf(["round_robin", "least_open"]))
    calendar_id = fields.Integer(allow_none=True, strict=True)
    members = fields.List(fields.Nested(MemberIO), load_default=list)


class AvailabilityIn(Schema):
    """An agent's availability in a team."""

    available = fields.Boolean(required=True)


class RuleIO(Schema):
    """An assignment rule: conditions (empty matches any) and the team."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(dump_only=True)
    position = fields.Integer(load_default=0, strict=True)
    type = fields.String(allow_none=True, validate=validate.OneOf(TYPES))
    category = fields.String(allow_none=True, validate=validate.Length(max=120))
    language = fields.String(allow_none=True, validate=validate.Length(max=8))
    customer_field = fields.String(allow_none=True, validate=validate.Length(max=64))
    customer_value = fields.String(allow_none=True, validate=validate.Length(max=200))
    team_id = fields.Integer(required=True, strict=True)
    assign_agent = fields.Boolean(load_default=True)


class HolidayIO(Schema):
    """A holiday: a Jalali or Gregorian date (`1405-01-01`; `01-01` when yearly)."""

    date = fields.String(required=True, validate=validate.Regexp(r"^(\d{4}[-/])?\d{1,2}[-/]\d{1,2}$"))
    calendar = fields.String(load_default="gregorian", validate=validate.OneOf(["jalali", "gregorian"]))
    yearly = fields.Boolean(load_default=False)
    name = fields.String(load_default="", validate=validate.Length(max=120))


class CalendarIO(Schema):
    """A business-hours calendar; `schedule` maps ISO weekdays ("1" Monday … "7" Sunday) to
    `[["08:00", "16:00"], ...]`; empty schedule: the Iranian week."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    timezone = fields.String(load_default="Asia/Tehran", validate=validate.Length(min=1, max=64))
    schedule = fields.Dict(keys=fields.String(validate=validate.OneOf([str(d) for d in range(1, 8)])),
                           values=fields.List(fields.List(fields.String(validate=_HHMM),
                                                          validate=validate.Length(equal=2))), load_default=dict)
    holidays = fields.List(fields.Nested(HolidayIO), load_default=list)
    is_default = fields.Boolean(load_default=False)
    lunar_holidays = fields.Boolean(load_default=False, metadata={
        "description": "Also closed on the Iranian lunar holidays of each year (`/lunar-holidays`)"})
    recomputed = fields.Integer(dump_only=True, metadata={"description": "Tickets whose due times were recomputed"})


class PolicyIO(Schema):
    """An SLA policy: conditions (empty matches any) and targets in business minutes."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    position = fields.Integer(load_default=0, strict=True)
    priority = fields.String(allow_none=True, validate=validate.OneOf(PRIORITIES))
    type = fields.String(allow_none=True, validate=validate.OneOf(TYPES))
    customer_field = fields.String(allow_none=True, validate=validate.Length(max=64))
    customer_value = fields.String(allow_none=True, validate=validate.Length(max=200))
    first_response_minutes = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=10**6))
    next_response_minutes = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=10**6))
    resolution_minutes = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=10**6))
    calendar_id = fields.Integer(allow_none=True, strict=True)
    warn_minutes = fields.Integer(load_default=30, strict=True, validate=validate.Range(min=0, max=10**5))


class ContractIO(Schema):
    """A service contract; `usage` (answers only): tickets counted, minutes logged, warnings."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    included_tickets = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=10**6))
    included_minutes = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=10**8))
    sla_policy_id = fields.Integer(allow_none=True, strict=True)
    products = fields.List(fields.String(validate=_REF), load_default=list)
    usage = fields.Dict(dump_only=True)


class TimeIn(Schema):
    """Minutes of work logged against a contract."""

    minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10**5))


class ArticleIn(Schema):
    """A knowledge-base article (Markdown body)."""

    class Meta:
        unknown = EXCLUDE

    language = fields.String(load_default="fa", validate=validate.OneOf(["fa", "en"]))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    body = fields.String(load_default="", validate=validate.Length(max=200_000))
    category = fields.String(allow_none=True, validate=validate.Length(max=120))
    status = fields.String(load_default="draft", validate=validate.OneOf(["draft", "published"]))
    public = fields.Boolean(load_default=False)


class ArticleOut(Schema):
    """An article with its rendered, sanitised HTML."""

    id = fields.Integer(required=True)
    language = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    html = fields.Function(lambda article: __import__("payvand.plugins.service.services.kb", fromlist=["render"])
                           .render(article.body))
    category = fields.String(allow_none=True)
    status = fields.String(required=True)
    public = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    updated_at = fields.DateTime(required=True)


class ArticleVersionOut(Schema):
    """A saved version of an article: its text and properties as they were, and who saved it when."""

    article_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    language = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    html = fields.Function(lambda row: __import__("payvand.plugins.service.services.kb", fromlist=["render"])
                           .render(row.body))
    category = fields.String(allow_none=True)
    status = fields.String(required=True)
    public = fields.Boolean(required=True)
    saved_by_id = fields.Integer(allow_none=True)
    saved_at = fields.DateTime(required=True)


class ArticleSearchArgs(Schema):
    """A search of the knowledge base."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    language = fields.String(validate=validate.OneOf(["fa", "en"]))
    public_only = fields.Boolean(load_default=False)
