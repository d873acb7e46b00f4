"""Value types that hooks exchange with the core; re-exported by `payvand.sdk`.

Each hook of `core/hookspecs.py` (and of a plugin's own `hookspecs.py`) names its argument and
return types from here, so the contract is a type and not a paragraph of prose: registration
values (`PermissionSpec`, `JobSpec`, `EventType`, `ConfigKey`, ...), what contribution hooks
return (`Panel`, `MovedRows`, `CustomerExport`, `ErasedRecords`), the shape of the selectables
data hooks return (`SelectableShape`, e.g. `PURCHASE_FACTS`), and what event subscribers
receive (`Event`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

if TYPE_CHECKING:
    import sqlalchemy as sa

FieldType = Literal["string", "text", "integer", "decimal", "boolean", "date", "choice"]

#: A value that serialises to JSON as it is: what exports and event payloads are made of.
JSONValue: TypeAlias = None | bool | int | float | str | Sequence["JSONValue"] | Mapping[str, "JSONValue"]

#: What `payvand_customer_export` returns: the plugin's part of a customer's export document,
#: placed under the plugin's name (e.g. `{"orders": [{"number": "O-1405-000001", ...}]}`).
CustomerExport: TypeAlias = Mapping[str, JSONValue]

#: What `payvand_customer_erase` returns: `{audit object type: ids of the records erased}`.
ErasedRecords: TypeAlias = Mapping[str, Sequence[int | str]]

#: What `payvand_customer_updated` receives as `changes`: `{customer id: {field: [old, new]}}`.
CustomerChanges: TypeAlias = Mapping[int, Mapping[str, Sequence[JSONValue]]]

#: What `payvand_demo_data` returns: a count per kind of thing loaded (`{"orders": 120}`).
DemoCounts: TypeAlias = Mapping[str, int]


@dataclasses.dataclass(frozen=True)
class PluginMeta:
    """What a plugin says about itself; every plugin module exposes one as `meta`.

    `requires` names other plugins (optionally `name>=version`) that must be enabled first,
    and may state the Payvand core version the plugin needs with the reserved name `payvand`
    (`requires=("payvand>=0.1", "sales>=0.1")`), checked at load and by `payvand plugins check`.
    `hookspecs` names the plugin's own hook specifications module, if it offers hooks.
    """

    name: str
    version: str
    title: str = ""
    description: str = ""
    requires: Sequence[str] = ()
    #: The dotted name of a module of hook specifications this plugin offers other plugins
    #: (`"payvand.plugins.sales.hookspecs"`); added to the hook contract at load time.
    hookspecs: str | None = None


@dataclasses.dataclass(frozen=True)
class PermissionSpec:
    """A permission a plugin declares: `<plugin>.<thing>.<action>` with a human description."""

    name: str
    description: str = ""


@dataclasses.dataclass(frozen=True)
class CustomerField:
    """A custom field on customers, stored in `Customer.attributes[name]`.

    Names must start with the declaring plugin's name and a dot (`sales.segment`), so two
    plugins never collide. `choices` are the stored values; `choice_labels` maps some or all of
    them to what pages show (text marked with `N_` or `lazy_gettext`, translated when shown);
    `description` is marked with `N_` too and shown, translated, as the field's help.
    """

    name: str
    type: FieldType = "string"
    label: str = ""
    required: bool = False
    choices: Sequence[str] = ()
    max_length: int = 500
    description: str = ""
    choice_labels: Mapping[str, str] = dataclasses.field(default_factory=dict, hash=False, compare=False)


@dataclasses.dataclass(frozen=True)
class NavItem:
    """An entry in the staff navigation; shown only to users holding `permission`.

    Entries sharing a `group` go into one drop-down menu of the menu bar, titled `group_label`
    (the first entry's that has one); a plugin with many pages groups them so the bar stays
    short. Without a group the entry sits on the bar itself.
    """

    label: str
    endpoint: str
    permission: str | None = None
    icon: str | None = None
    order: int = 100
    group: str | None = None
    group_label: str | None = None


@dataclasses.dataclass(frozen=True)
class Panel:
    """A section of the customer 360 page; `html` is trusted markup rendered by the plugin."""

    title: str
    html: str
    order: int = 100
    key: str = ""


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """A scheduled job: `func()` runs every `every_seconds` inside a fresh current session."""

    name: str
    func: Callable[[], Any]
    every_seconds: int
    description: str = ""


@dataclasses.dataclass(frozen=True)
class ChannelSpec:
    """A communication channel (e.g. `telegram`) interactions may use."""

    name: str
    label: str


@dataclasses.dataclass(frozen=True)
class InteractionKind:
    """How the timeline shows an interaction kind a plugin records (e.g. `sales.quote_expired`).

    `label` names the kind in the reader's language (a `lazy_gettext` string). `summary`, when
    given, is shown instead of the summary stored on the row, translated when the page renders:
    either a translatable template (`lazy_gettext("Quote %(number)s expired")`) whose
    `%(name)s` placeholders are filled from the interaction's `payload` (each value isolated
    with FSI…PDI so mixed-script names keep their order), or a callable taking the payload and
    returning the text (or None). When a placeholder is missing from the payload, or the
    callable returns None, the stored summary is shown. Store codes and parameters in the
    payload, never a sentence in one language.
    """

    name: str
    label: Any
    summary: Any = None


@dataclasses.dataclass(frozen=True)
class SettingSpec:
    """A deployment setting a plugin declares, with its default."""

    key: str
    default: Any
    label: str = ""
    description: str = ""


@dataclasses.dataclass(frozen=True)
class MovedRows:
    """Rows a plugin re-pointed from the merged-away customer to the surviving one.

    The core undoes a merge by setting `column` back to the source customer for `ids`.
    """

    table: str
    column: str
    ids: Sequence[int]
    key: str = "id"


@dataclasses.dataclass(frozen=True)
class RecordRule:
    """Which rows of `model` an actor may see, declared once and applied by the kernel.

    `clause(actor)` returns a SQL condition on `model`'s columns (e.g.
    `Lead.owner_id == actor.user_id`), or None when this rule does not narrow what that actor
    sees. An actor holding `bypass` (e.g. `sales.manage`; a tuple names several, any one
    suffices) skips the rule; the system skips every rule. `applies_to` names the actor kinds
    the rule is for: rules for `user`/`token`
    actors narrow what staff see (a model without one is open to staff with the route's
    permission); for a `customer` actor a model is closed unless a rule applies to customers
    (the portal declares `customer_id == actor.customer_id`). The rules applying to one actor
    are combined with AND. `name` (`<plugin>.<rule>`) and `description` document the rule
    (the admin guide and `payvand plugins rules` list them).
    """

    name: str
    model: type
    clause: Callable[[Any], Any]
    bypass: str | tuple[str, ...] | None = None
    applies_to: frozenset[str] = frozenset({"user", "token"})
    description: str = ""

# --------------------------------------------------------------------------- selectables of data hooks


@dataclasses.dataclass(frozen=True)
class ColumnSpec:
    """One column of a selectable a hook exchanges: its label, Python type and meaning."""

    name: str
    type: type
    description: str
    nullable: bool = False


@dataclasses.dataclass(frozen=True)
class SelectableShape:
    """The columns, in order, of a SQLAlchemy selectable a hook takes or returns.

    A data hook's docstring points at its shape instead of describing the columns in prose;
    `problems(selectable)` says what a returned selectable lacks (the caller may skip it).
    """

    columns: tuple[ColumnSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The column labels, in order."""
        return tuple(column.name for column in self.columns)

    def problems(self, selectable: Any) -> list[str]:
        """What is wrong with `selectable`'s columns (empty when its labels are these, in order)."""
        try:
            found = tuple(column.name for column in selectable.selected_columns)
        except AttributeError:
            try:
                found = tuple(column.name for column in selectable.c)
            except AttributeError:
                return [f"expected a SQLAlchemy select, got a {type(selectable).__name__}"]
        if found != self.names:
            return [f"expected the columns ({', '.join(self.names)}), got ({', '.join(found)})"]
        return []

    def describe(self) -> str:
        """A Markdown list of the columns (for the generated hook reference)."""
        return "\n".join(
            f"- `{c.name}` ({c.type.__name__}{', may be NULL' if c.nullable else ''}): {c.description}"
            for c in self.columns
        )


#: The rows `payvand_purchase_facts` returns: one per purchased line.
PURCHASE_FACTS = SelectableShape((
    ColumnSpec("customer_id", int, "the buying customer"),
    ColumnSpec("product_id", int, "the plugin's product id", nullable=True),
    ColumnSpec("occurred_at", dt.datetime, "when it was bought (UTC)"),
    ColumnSpec("quantity", decimal.Decimal, "how many"),
    ColumnSpec("amount", decimal.Decimal, "the exact line total, tax included"),
    ColumnSpec("currency", str, "ISO 4217 code of `amount`"),
))

#: What `payvand_purchase_facts` returns: a select of `PURCHASE_FACTS` rows.
PurchaseFactsSelect: TypeAlias = "sa.Select[tuple[int, int | None, dt.datetime, decimal.Decimal, decimal.Decimal, str]]"

#: The rows `payvand_lead_facts` returns: one per lead (a prospect not yet a customer, or converted).
LEAD_FACTS = SelectableShape((
    ColumnSpec("lead_id", int, "the plugin's lead id"),
    ColumnSpec("customer_id", int, "the customer the lead became, once converted", nullable=True),
    ColumnSpec("created_at", dt.datetime, "when the lead came in (UTC)"),
    ColumnSpec("converted_at", dt.datetime, "when it became a customer (UTC)", nullable=True),
))

#: What `payvand_lead_facts` returns: a select of `LEAD_FACTS` rows.
LeadFactsSelect: TypeAlias = "sa.Select[tuple[int, int | None, dt.datetime, dt.datetime | None]]"

#: The rows `payvand_customer_keys` returns: a customer's id in an outside system.
CUSTOMER_KEYS = SelectableShape((
    ColumnSpec("external_id", str, "the customer's id in the outside system (as an import file gives it)"),
    ColumnSpec("customer_id", int, "the Payvand customer it names"),
))

#: What `payvand_customer_keys` returns: a select of `CUSTOMER_KEYS` rows.
CustomerKeysSelect: TypeAlias = "sa.Select[tuple[str, int]]"

PRODUCT_FACTS = SelectableShape((
    ColumnSpec("product_id", int, "the plugin's product id (as in `PURCHASE_FACTS`)"),
    ColumnSpec("name", str, "the product's name, for people"),
    ColumnSpec("category", str, "the product's category name", nullable=True),
    ColumnSpec("active", bool, "still on sale (inactive products are never recommended)"),
))

#: What `payvand_product_facts` returns: a select of `PRODUCT_FACTS` rows.
ProductFactsSelect: TypeAlias = "sa.Select[tuple[int, str, str | None, bool]]"

#: The rows `payvand_marketing_costs` returns: one per cost (spend) of a campaign or channel in a period.
MARKETING_COSTS = SelectableShape((
    ColumnSpec("period_start", dt.date, "the first day the cost covers"),
    ColumnSpec("period_end", dt.date, "the last day the cost covers (inclusive)"),
    ColumnSpec("purpose", str, "`acquisition` (winning new customers) or `retention` (keeping them)"),
    ColumnSpec("channel", str, "the channel the money was spent on (e.g. `email`, `search`)", nullable=True),
    ColumnSpec("campaign", str, "the campaign's name or code", nullable=True),
    ColumnSpec("amount", decimal.Decimal, "the exact amount spent"),
    ColumnSpec("currency", str, "ISO 4217 code of `amount`"),
))

#: What `payvand_marketing_costs` returns: a select of `MARKETING_COSTS` rows.
MarketingCostsSelect: TypeAlias = "sa.Select[tuple[dt.date, dt.date, str, str | None, str | None, decimal.Decimal, str]]"

#: The rows `payvand_service_facts` returns: one per service case (ticket) of a customer.
SERVICE_FACTS = SelectableShape((
    ColumnSpec("ticket_id", int, "the plugin's ticket id"),
    ColumnSpec("customer_id", int, "the customer served"),
    ColumnSpec("opened_at", dt.datetime, "when the case was opened (UTC)"),
    ColumnSpec("solved_at", dt.datetime, "when it was solved (UTC)", nullable=True),
    ColumnSpec("handling_minutes", decimal.Decimal,
               "staff minutes spent on it, when the plugin records them", nullable=True),
))

#: What `payvand_service_facts` returns: a select of `SERVICE_FACTS` rows.
ServiceFactsSelect: TypeAlias = "sa.Select[tuple[int, int, dt.datetime, dt.datetime | None, decimal.Decimal | None]]"

RecommendationKind = Literal["cross_sell", "up_sell", "related", "popular"]


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """One product suggested for a customer (what `payvand_recommendations` answers).

    `kind`: `cross_sell` (a category the customer never bought from), `up_sell` (a category
    they bought from, at a higher typical unit price than they paid there), `related` (a
    category they bought from, not pricier) or `popular` (among the most bought products: the
    customer's history gives too few suggestions). `because` names up to three product ids the customer
    bought that led to it; `score` orders suggestions for one customer (not comparable across
    customers).
    """

    product_id: int
    name: str
    score: float
    kind: RecommendationKind
    because: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class ReturnableItem:
    """A purchased line a customer may send back, answered by `payvand_returnable_items`.

    `source` is the owner's opaque reference of the line (`sales.order_line:12`), `document`
    the purchase it belongs to (`sales.order:4`) and `label` what staff see ("O-1405-000001 ·
    Kettle"); `quantity` how many were bought, `amount` the exact amount paid for the whole
    line (tax and discounts included) in `currency`, `occurred_at` when it was bought (UTC).
    The asking plugin keeps only these values and the references, never the owner's rows.
    """

    source: str
    document: str
    label: str
    quantity: decimal.Decimal
    amount: decimal.Decimal
    currency: str
    occurred_at: dt.datetime | None = None


# --------------------------------------------------------------------------- events


#: The Python types an event payload field may have (stored as JSON: decimals as strings,
#: dates and times in ISO 8601; subscribers get the Python values back).
EVENT_FIELD_TYPES: tuple[type, ...] = (int, str, bool, float, decimal.Decimal, dt.date, dt.datetime, list)


@dataclasses.dataclass(frozen=True)
class EventField:
    """One value of an event's payload: ids and the few values a subscriber needs, never
    personal data beyond ids (names, contacts and free text stay in the owner's tables)."""

    name: str
    type: type
    description: str
    optional: bool = False


@dataclasses.dataclass(frozen=True)
class EventType:
    """A kind of domain event a plugin (or the core) emits through the outbox: `sales.order_placed`.

    Declared through `payvand_event_types`; its name starts with the owner's name and a dot.
    `fields` is the payload every emit must give (no more, no less; `optional` fields may be
    None). `hook`, for the core's own events only, names the event hook that also delivers it
    with the loaded objects (`payvand_customer_created`).
    """

    name: str
    description: str
    fields: tuple[EventField, ...] = ()
    hook: str | None = None

    def field(self, name: str) -> EventField | None:
        """The declared field called `name`, or None."""
        return next((f for f in self.fields if f.name == name), None)


@dataclasses.dataclass(frozen=True)
class Event:
    """One emitted event as a subscriber receives it (after the emitter's commit).

    `payload` holds the declared fields with their Python types; `key` is unique per event
    and stable across redeliveries (`<outbox id>:<index>`), for subscribers that must act at
    most once; `emitted_at` is when the emitting transaction wrote it (UTC).
    """

    name: str
    payload: Mapping[str, Any]
    key: str
    emitted_at: dt.datetime

    def __getitem__(self, field: str) -> Any:
        return self.payload[field]


@dataclasses.dataclass(frozen=True)
class Subscription:
    """A plugin's handler of one event type, declared through `payvand_subscriptions`.

    `handler(events)` gets every event of one emitting transaction at once (a `Sequence[Event]`),
    after that transaction's commit, in the plugin's own session (`payvand.sdk.session()`),
    committed when it returns; it is retried alone, with backoff, when it raises. `optional`:
    the event's owner may not be installed (nothing to report then).
    """

    event: str
    handler: Callable[[Sequence[Event]], None]
    optional: bool = False


# --------------------------------------------------------------------------- configuration


#: The types a configuration key may have; environment values are parsed into them.
CONFIG_TYPES: tuple[type, ...] = (str, int, float, bool)


@dataclasses.dataclass(frozen=True)
class ConfigKey:
    """A deployment configuration key (an environment variable) read at start-up.

    The core declares its own; a plugin declares its keys through `payvand_config_keys`
    (names start with `PAYVAND_`, best `PAYVAND_<PLUGIN>_...`, and are not the core's or
    another plugin's). The value comes from the app's configuration, else the environment,
    else `default`, parsed as `type` (`bool`: 1/true/yes/on); read it with
    `payvand.sdk.config_value(name)`. `secret` values (passwords, keys, URLs with passwords)
    are never printed whole.
    """

    name: str
    type: type
    default: Any
    description: str
    secret: bool = False


@dataclasses.dataclass(frozen=True)
class BotQuestion:
    """What a web chat visitor asked the FAQ bot (given to each `BotAnswerer`).

    `customer_id` is the conversation's customer when known (None before the first message);
    `verified` is True only when the visitor is signed in as that customer (a portal session),
    so an answerer may show that customer's own records; when False the customer was only
    named by a typed email or phone and the answerer must ask for proof (an order number).
    """

    text: str
    language: str = "fa"
    customer_id: int | None = None
    verified: bool = False


@dataclasses.dataclass(frozen=True)
class BotAnswer:
    """An answer source's reply to a `BotQuestion`: the text shown to the visitor, how sure
    the source is (0 to 1; the bot answers when it reaches the bot's threshold), an optional
    link cited under the answer, and the source's name (filled in by the bot when empty)."""

    text: str
    confidence: float
    link: str | None = None
    source: str = ""


@dataclasses.dataclass(frozen=True)
class BotAnswerer:
    """An answer source a plugin adds to the FAQ bot through `payvand_bot_answerers`:
    `answer(question)` returns a `BotAnswer` or None (nothing to say); it runs inside the
    chat message's transaction (read with the SDK's `session()`) and must be quick (bounded
    queries: the bot's answer budget is 100 ms)."""

    name: str
    answer: Callable[[BotQuestion], BotAnswer | None]
    label: str = ""


# --------------------------------------------------------------------------- evaluation programs


@dataclasses.dataclass(frozen=True)
class EvaluationScale:
    """What one response of an evaluation program can be: whole numbers `low`..`high`.

    `label` says what the numbers mean for people ("1 = not at all, 5 = very"); `score_label`
    names the figure the program's summary gives (an average, a Net Promoter Score, ...).
    """

    low: int
    high: int
    label: str = ""
    score_label: str = ""


@dataclasses.dataclass(frozen=True)
class EvaluationRow:
    """One line of an evaluation program's summary: a group (`key`) of one dimension.

    `dimension` is one of the program's `dimensions` (`"period"`, `"agent"`, ...); `key` the
    group as shown (a month `"2026-12"`, an agent's name); `responses` how many answers fell
    in it; `score` the program's figure for the group (None without answers); `detail` more
    figures for the table (`{"promoters": 12}`), JSON values only.
    """

    dimension: str
    key: str
    responses: int
    score: float | None
    detail: Mapping[str, JSONValue] = dataclasses.field(default_factory=dict)


#: What an evaluation program's `summarise` is: `(session, actor, start, end, dimension)` ->
#: rows for the answers given in `[start, end)` (aware UTC datetimes), grouped by `dimension`.
EvaluationSummary: TypeAlias = "Callable[[Any, Any, dt.datetime, dt.datetime, str], Sequence[EvaluationRow]]"


@dataclasses.dataclass(frozen=True)
class EvaluationProgram:
    """A way of asking customers what they think, and of summarising the answers.

    What `payvand_evaluation_programs` registers; the core's Evaluation report lists every
    program with its summary (a chart and a table). `key` is `<plugin>.<name>`; `measures`
    says what is measured and `collection` how answers are collected (for people); `scale` the
    answers' range; `dimensions` the groupings `summarise` accepts, `"period"` (calendar months)
    first; `permission` the permission a user needs to see it (None: any staff user).
    `summarise` must stay bounded: aggregate in SQL or over one period's answers.
    """

    key: str
    label: str
    measures: str
    collection: str
    scale: EvaluationScale
    summarise: EvaluationSummary
    dimensions: Sequence[str] = ("period",)
    permission: str | None = None



# --------------------------------------------------------------------------- KPI dashboards

#: What a KPI widget draws: one figure (with its comparison), a series over time, a
#: distribution (counts per bucket) or a table.
KpiKind = Literal["number", "series", "distribution", "table"]
#: How a KPI's figures are written: a count, a percentage (0–100), an amount of money (in
#: `KpiData.currency`) or a plain decimal number.
KpiUnit = Literal["count", "percent", "money", "decimal"]


@dataclasses.dataclass(frozen=True)
class KpiPeriod:
    """The time a KPI is computed over: whole local days `first_day`..`last_day` (inclusive).

    `start`/`end` are the same range as a half-open interval of aware UTC datetimes (local
    midnights in the site's time zone), ready for a `WHERE at >= start AND at < end`.
    `calendar` is the reader's (`jalali` on Persian pages): series by month use its months.
    """

    first_day: dt.date
    last_day: dt.date
    start: dt.datetime
    end: dt.datetime
    calendar: Literal["gregorian", "jalali"] = "gregorian"

    @property
    def days(self) -> int:
        """How many days the period holds."""
        return (self.last_day - self.first_day).days + 1


@dataclasses.dataclass(frozen=True)
class KpiSeries:
    """One line or set of bars of a KPI chart: its name and one value per label (None: no value)."""

    label: str
    data: Sequence[float | None]


@dataclasses.dataclass(frozen=True)
class KpiData:
    """What a KPI widget's `compute` returns.

    `number`: `value` and, when a comparison period was given, `previous` (the same figure
    over the comparison period). `series` and `distribution`: `labels` (x axis) and one or
    more `series` (`KpiSeries`), plus optionally a headline `value`/`previous`. `table`:
    `columns` and `rows` (JSON-ready cells). `currency` for money. `note` says something
    the reader should know ("from the lifetime-value run of 2026-12-01"). Every kind is shown
    with a table view and exported to CSV from these fields.
    """

    value: float | None = None
    previous: float | None = None
    currency: str = ""
    labels: Sequence[str] = ()
    series: Sequence[KpiSeries] = ()
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[JSONValue]] = ()
    note: str = ""


#: A KPI widget's computation: `(actor, period, comparison period or None) -> KpiData`.
KpiCompute: TypeAlias = Callable[[Any, KpiPeriod, "KpiPeriod | None"], KpiData]


@dataclasses.dataclass(frozen=True)
class KpiWidget:
    """A KPI a plugin offers the KPI dashboard, returned by `payvand_dashboard_widgets`.

    A declaration: building one costs nothing; the dashboard calls `compute(actor, period,
    comparison)` only for the widgets it shows (a bounded number of aggregate queries each,
    applying the record rules for `actor`). `key` is unique, `<plugin>.<name>`
    (`sales.revenue`); `title` a translated label; `unit` how figures are written; `order` the
    default place on the shared dashboard; `permission` what a user needs to see it (None: any
    staff user who sees the dashboard); `description` one sentence on how it is computed.
    `higher_is_better` colours the change against the comparison (False for churn). `shared`:
    the figures are the same for every actor allowed to see the widget (no record rule applies
    in `compute`), so the dashboard may keep them as a snapshot shared by everyone (for a few
    minutes when the period runs to today, until the nightly refresh for past periods); leave it
    False when `compute` depends on the actor.
    """

    key: str
    title: str
    kind: KpiKind
    compute: KpiCompute
    unit: KpiUnit = "count"
    permission: str | None = None
    order: int = 100
    description: str = ""
    higher_is_better: bool = True
    shared: bool = False


#: Why `payvand_dashboard_widgets` is called: the start page (`"start"`: Panels) or the KPI
#: dashboard (`"kpi"`: KpiWidgets).
DashboardPurpose = Literal["start", "kpi"]
#: What `payvand_dashboard_widgets` returns: Panels, KpiWidgets or a mix.
DashboardWidgets: TypeAlias = "Panel | KpiWidget | Sequence[Panel | KpiWidget]"
