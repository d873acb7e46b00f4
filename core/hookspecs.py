"""Every hook of the Payvand kernel, in one module: the contract between the kernel and its plugins.

Hooks fall into four kinds, grouped below:

* **registration** hooks are called once when the application starts;
* **contribution** hooks are called per request or computation, each plugin adding its part;
* **event** hooks run *after* the change has been committed, delivered from the outbox by the
  job runner. They are batch-first: they receive every object changed in one transaction as a
  list (an import of 5,000 rows is one call with 5,000 customers). Each plugin is called in
  its own session (`payvand.sdk.session()`), committed together with the note that it has
  handled the event. A plugin that raises has its work rolled back and is retried later,
  alone, with backoff; the others are not called twice. After a worker crash the event is
  delivered again, once its lease expires, to the plugins that had not committed. Objects
  deleted before delivery are left out, and a call that would get no objects is skipped.
  The objects are read-only snapshots (loaded once per event, with their child rows, and
  shared by all plugins): to change one, load it in your session first. Each event hook
  delivers one of the core's declared event types (`core.customer_created`, ...), to which
  a plugin may also subscribe by name (`payvand_subscriptions`), as to the event types
  plugins declare (`sales.order_placed`);
* **data** hooks return SQLAlchemy selectables so one plugin reads another's facts in SQL.

Unless a hook says otherwise an implementation that raises is logged, recorded on its
plugin's state and skipped; the request still succeeds. Hooks marked *veto* let a plugin
refuse an operation by raising `payvand.sdk.PluginError`, whose message is shown to the user;
any other exception in a veto hook is recorded and refuses the operation too (nothing is
half done). Outside veto hooks a `PluginError` is just an error: recorded and skipped.
Hooks marked *first result* want one answer: the first implementation (last registered
first, `@hookimpl(tryfirst=True)` to go earlier) returning something other than None gives
it and the others are not called. None of the kernel's hooks below is one: each collects every
plugin's part; a plugin's own hooks may be (`@hookspec(firstresult=True)`).

Registration hooks are called once each time the plugins are activated (at start-up, and
again after a plugin is enabled or disabled); their results are cached, so creating a
customer calls no plugin code synchronously but the cached registrations.

Implementations may accept any subset of the arguments listed, by name (plain positional
parameters; the kernel checks them against these specs before registering a plugin, and
`payvand plugins check` lists every mismatch). Argument and return types are the contract:
they come from `payvand.sdk` (`core/contracts.py`).

A plugin that offers hooks to other plugins ships its own specifications module, named by
`PluginMeta(hookspecs="<package>.hookspecs")` and added to this contract when the plugins are
loaded (as pytest's `pytest_addhooks` does); the sales plugin's hooks (`payvand_lead_score`,
`payvand_catalogs`, `payvand_invoice_views`) live in `plugins/sales/hookspecs.py`.
Changing a hook here is a versioned change, recorded in `docs/hooks.md`.
"""

# The specifications below have no body by design (pluggy never calls them; the plugins'
# implementations return the values), so mypy's empty-body check does not apply here.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

from payvand.core.contracts import (
    CUSTOMER_KEYS,
    LEAD_FACTS,
    MARKETING_COSTS,
    PRODUCT_FACTS,
    PURCHASE_FACTS,
    SERVICE_FACTS,
)

if TYPE_CHECKING:
    import click
    from flask import Blueprint

    from payvand.core.actor import Actor
    from payvand.core.contracts import (
        BotAnswerer,
        ChannelSpec,
        ConfigKey,
        CustomerChanges,
        CustomerExport,
        CustomerField,
        CustomerKeysSelect,
        DashboardPurpose,
        DashboardWidgets,
        DemoCounts,
        ErasedRecords,
        EvaluationProgram,
        EventType,
        InteractionKind,
        JobSpec,
        LeadFactsSelect,
        MarketingCostsSelect,
        MovedRows,
        NavItem,
        Panel,
        PermissionSpec,
        ProductFactsSelect,
        PurchaseFactsSelect,
        Recommendation,
        RecordRule,
        ReturnableItem,
        ServiceFactsSelect,
        SettingSpec,
        Subscription,
    )
    from payvand.core.messaging.contract import MessageChannel, ReceivedMessage
    from payvand.core.models import Customer, Interaction

PROJECT = "payvand"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------- registration


@hookspec
def payvand_blueprints() -> Sequence[Blueprint]:
    """Return the Flask blueprints this plugin serves.

    Called once at start-up. A `payvand.sdk.ApiBlueprint` (a flask-smorest blueprint) is
    mounted under `/api/v1` and appears in the OpenAPI document; a plain Flask blueprint is
    mounted as it is (staff pages, portal pages). Routes of a plugin that is later disabled
    answer 404 until it is enabled again.
    """


@hookspec
def payvand_cli() -> Sequence[click.Command]:
    """Return click commands or groups to add under `payvand` (e.g. a `sales` group).

    Called once when the CLI starts, for every enabled plugin.
    """


@hookspec
def payvand_permissions() -> Sequence[PermissionSpec]:
    """Return the permissions this plugin checks, named `<plugin>.<thing>.<action>`.

    Called once at start-up; the permissions are recorded so admins can grant them to roles.
    """


@hookspec
def payvand_customer_fields() -> Sequence[CustomerField]:
    """Return custom customer fields, stored in `Customer.attributes`.

    Called once at start-up. Names must be prefixed with the plugin's name (`sales.tier`).
    Every write of `attributes`, by API, form or import, is validated against these fields:
    unknown keys and wrong types are rejected with a field message.
    """


@hookspec
def payvand_nav_items() -> Sequence[NavItem]:
    """Return entries for the staff navigation, each guarded by a permission.

    Called once at start-up; `Runtime.nav_items(actor)` gives the entries an actor may
    see (an item without a permission is shown to every staff user), sorted by `order`.
    """


@hookspec
def payvand_jobs() -> Sequence[JobSpec]:
    """Return scheduled jobs (birthday greetings, SLA checks, refreshes).

    Called once at start-up. Each job runs in its own session, committed when it returns;
    an exception rolls the job's work back, is logged and recorded on the plugin, and the job
    runs again at its next tick. Name jobs `<plugin>.<job>`; a job runs at most once per
    `every_seconds` across all workers.
    """


@hookspec
def payvand_channels() -> Sequence[MessageChannel | ChannelSpec]:
    """Return this plugin's channels: `MessageChannel` objects that send (and may receive), or label-only `ChannelSpec`s.

    A `MessageChannel` (`payvand.sdk.messages`) sends batches of queued messages and reports
    each result; it may poll for inbound messages and receipts (`polls=True`, run as a job)
    or declare webhook routes (`blueprint()`, also returned from `payvand_blueprints`), handing
    what it gets to `receive_messages` and `record_receipts`. A `ChannelSpec` only names a channel interactions may be logged on.
    Channel names are global (`sms`, `telegram`); the core's `email` channel is built in.
    """


@hookspec
def payvand_interaction_kinds() -> Sequence[InteractionKind]:
    """Return how the timeline labels and summarises the interaction kinds this plugin records.

    Called once at start-up; names must start with the plugin's name (`sales.quote_expired`).
    Each `InteractionKind` gives the kind a translated `label` and, optionally, a `summary`
    template (or callable) filled from the interaction's `payload` when a page shows it, so
    the timeline speaks the reader's language whatever language the row was recorded in.
    A kind nobody declares is shown by its name with its stored summary.
    """


@hookspec
def payvand_record_rules() -> Sequence[RecordRule]:
    """Return the record rules of this plugin's models: which rows each kind of actor may see.

    Called once at start-up; names must start with the plugin's name (`sales.lead_owner`).
    The kernel applies every active rule of a model wherever its rows are read for an actor
    (`payvand.sdk.restrict`, `payvand.sdk.may_see`, the list kit): lists, gets by id, search,
    exports, PDFs, reports and CSVs. A row an actor may not see answers as a missing one.
    """


@hookspec
def payvand_settings() -> Sequence[SettingSpec]:
    """Return the deployment settings this plugin reads, with their defaults.

    Called once at start-up; keys must start with the plugin's name (`sales.currency`).
    `Runtime.settings()` lists every declared setting.
    """


@hookspec
def payvand_bot_answerers() -> Sequence[BotAnswerer]:
    """Return answer sources for the web chat's FAQ bot (the service plugin's), each a `BotAnswerer`.

    For each visitor message the bot asks its own knowledge base and every answerer
    (`answer(BotQuestion(text, language, customer_id, verified))` → `BotAnswer(text,
    confidence, link)` or None) and sends the most confident answer at or above its threshold.
    Called once at start-up; an answerer that raises is logged and skipped. Example: the sales
    plugin answers "where is my order" for the conversation's customer.
    """


@hookspec
def payvand_event_types() -> Sequence[EventType]:
    """Return the event types this plugin emits (`sales.order_placed`), with their payload fields.

    Called once at start-up; names must start with the plugin's name and a dot. The plugin
    emits them with `payvand.sdk.emit_event(name, payload)` in the caller's transaction; an
    undeclared name, or a payload that does not match the declared fields, is refused there.
    """


@hookspec
def payvand_subscriptions() -> Sequence[Subscription]:
    """Return the events this plugin handles: `Subscription(event_name, handler)`.

    Called once at start-up. `handler(events)` receives, after the emitting transaction's
    commit, every event of that type the transaction emitted (a list of `Event`), through the
    outbox: in the plugin's own session, committed when it returns, retried alone with
    backoff when it raises. Any declared event type may be subscribed to, the core's
    (`core.customer_created`, ...) and every plugin's, without importing its owner;
    `payvand plugins check` reports a subscription to an event nobody declares unless it
    is `optional`.
    """


@hookspec
def payvand_config_keys() -> Sequence[ConfigKey]:
    """Return the deployment configuration keys (environment variables) this plugin reads.

    Called once when the plugins are discovered, for every installed plugin. Names start with
    `PAYVAND_` (best `PAYVAND_<PLUGIN>_...`) and must not be the core's or another plugin's.
    The core reads each from the app's configuration, else the environment, else the default,
    and parses it as the declared type; a value that does not parse is a problem of the plugin
    (shown by `payvand plugins check`; the plugin is not loaded). Read values with
    `payvand.sdk.config_value(name)`; `payvand config` lists every key.
    """


@hookspec
def payvand_evaluation_programs() -> Sequence[EvaluationProgram]:
    """Return the evaluation programs (satisfaction surveys, NPS, ...) this plugin runs.

    Each `EvaluationProgram` names itself `<plugin>.<name>`, says what it measures, on which
    scale and how answers are collected, and gives `summarise(session, actor, start, end,
    dimension)`, returning `EvaluationRow`s for the answers given in `[start, end)` grouped by
    one of its `dimensions` (`"period"`: calendar months, always first). The core's Evaluation
    report (`/reports/evaluation`) lists every program the user may see (its `permission`) with
    its summary as a chart and a table. A `summarise` that raises is recorded on its plugin
    and the program is shown without figures.
    """


# --------------------------------------------------------------------------- contribution


@hookspec
def payvand_customer_panels(customer: Customer, actor: Actor) -> Panel | Sequence[Panel] | None:
    """Return panels for the customer 360 page of `customer`, as seen by `actor`.

    `customer` is a read-only view with the model's columns and lists (emails, phones, tags,
    consents); `actor` is who is viewing (an `Actor`: `.user_id`, `.label`, `.name`,
    `.can(permission)`; the system outside a request).

    Called per page view through `Runtime.customer_panels(customer, actor)`, which sorts the
    panels of every plugin by `order`; must do a bounded number of queries whatever the
    customer's history. Return None to show nothing (e.g. when `actor` lacks the permission).
    """


@hookspec
def payvand_customer_merge(target: Customer, source: Customer) -> MovedRows | Sequence[MovedRows] | None:
    """Re-point this plugin's rows from `source` to `target`, inside the merge's transaction.

    Called when `source` is merged into `target`. Use set-based UPDATEs through the current
    session and return what moved as `MovedRows`, so the merge can be undone. *Veto*: raise
    `PluginError` to refuse the merge (the whole merge is rolled back).
    """


@hookspec
def payvand_customer_export(customer: Customer, actor: Actor) -> CustomerExport | None:
    """Return this plugin's data about `customer` that `actor` may see, as JSON-ready values.

    Called by the customer export (data-portability request). `actor` is who asked (an
    `Actor`); the system (a CLI command, a job) sees everything. Apply the same record rules as the plugin's
    own routes: a row the actor may not open there is left out here too. The result is placed
    under the plugin's name in the export document; a plugin that raises is left out of it.
    (`actor` came later than the hook: an implementation that does not name it still gets the
    customer, and must then hold no rows private to some staff.)
    """


@hookspec
def payvand_customer_erase(customer: Customer) -> ErasedRecords | None:
    """Anonymise this plugin's personal data about `customer`, keeping aggregates; say which records.

    Called inside the erasure's transaction, before the kernel blanks the customer, so the
    customer's emails and phones can still be read (to reach rows that match them, such as
    unconverted leads). Amounts, dates and counts should survive so reports stay right; names,
    contacts and every piece of free text (notes, messages, descriptions, references) must
    not. Use set-based UPDATEs. Return `{object_type: ids}` — the audit-log object types
    (your table names, as passed to `payvand.sdk.audit`) and ids of the records you erased:
    the kernel then replaces the before/after values of their audit entries in one
    set-based UPDATE each, keeping the entries themselves (who changed what, when). Return
    None when nothing of yours was audited. *Veto*: raise `PluginError` when the law requires
    keeping the data (e.g. unpaid invoices); nothing is erased then.
    """


@hookspec
def payvand_dashboard_widgets(actor: Actor, purpose: DashboardPurpose) -> DashboardWidgets | None:
    """Return widgets for the staff start page (`Panel`) and KPIs for the KPI dashboard (`KpiWidget`).

    Called per page view with `purpose` `"start"` (the start page: only the Panels are
    shown) or `"kpi"` (the KPI dashboard and its API, exports and mails: only the
    KpiWidgets are used). A Panel is rendered markup (title and html): keep it to a bounded
    number of indexed or aggregated queries, and skip building it when `purpose` is `"kpi"`.
    A KpiWidget is a cheap declaration whose `compute(actor, period, comparison)` the
    dashboard calls for the widgets it shows; one that raises is recorded on the plugin and
    shown as unavailable, the rest of the dashboard still works. Return None (or leave out a
    widget) when `actor` may not see this plugin's figures; a KpiWidget's `permission` is
    checked by the dashboard too. (`purpose` came later than the hook: an implementation that
    does not name it is called for both and may return Panels only, as before.)
    """


@hookspec
def payvand_demo_data(seed: int) -> DemoCounts | None:
    """Load this plugin's demo data into the current session; return counts to print.

    Called by `payvand demo` after the core's demo customers and interactions exist, one
    committed transaction per plugin (a plugin that raises leaves nothing behind). Do nothing
    and return None when the data is already there, so the command can run again. Use `seed`
    for deterministic data.
    """


@hookspec
def payvand_returnable_items(customer_id: int) -> Sequence[ReturnableItem] | None:
    """Return the customer's purchased lines that may be sent back (`ReturnableItem`), newest first.

    Asked by the service plugin when staff pick the items of a return: each item carries an
    opaque `source` reference (`sales.order_line:12`) the owner recognises again when it
    handles the return's events (`service.return_approved`, `service.return_refunded`). Only
    lines of purchases that can still be returned (not cancelled, not already returned);
    at most a few hundred. With no plugin answering, returns are entered without items.
    """


# --------------------------------------------------------------------------- data


@hookspec
def payvand_purchase_facts() -> PurchaseFactsSelect | None:
    """Return this plugin's purchases as a SQLAlchemy select of `PURCHASE_FACTS` rows, or None.

    One row per purchased line, labelled and ordered as `payvand.sdk.PURCHASE_FACTS` says:
    `(customer_id, product_id, occurred_at, quantity, amount, currency)`, `amount` the exact
    line total. Analytics unions every plugin's facts and stays in SQL over millions of rows,
    without importing the plugin; callers check each select with `PURCHASE_FACTS.problems`
    and leave out one whose columns differ.
    """


@hookspec
def payvand_lead_facts() -> LeadFactsSelect | None:
    """Return this plugin's leads as a SQLAlchemy select of `LEAD_FACTS` rows, or None.

    One row per lead, labelled and ordered as `payvand.sdk.LEAD_FACTS` says:
    `(lead_id, customer_id, created_at, converted_at)`, `customer_id` set once the lead became
    a customer. Analytics reads it for the funnel lead → customer → repeat → loyal; callers
    check each select with `LEAD_FACTS.problems` and leave out one whose columns differ.
    """


@hookspec
def payvand_customer_keys() -> CustomerKeysSelect | None:
    """Return the customers' ids in outside systems that this plugin keeps, as a SQLAlchemy
    select of `CUSTOMER_KEYS` rows `(external_id, customer_id)`, or None.

    The customer import names a referrer by such an id (`referrer_external_id`) when no row of
    its own file has it: it unions every plugin's select, looks the file's ids up in one
    statement and leaves out a select whose columns differ (`CUSTOMER_KEYS.problems`). The
    sales plugin answers with the keys its order import records.
    """


@hookspec
def payvand_product_facts() -> ProductFactsSelect | None:
    """Return this plugin's products as a SQLAlchemy select of `PRODUCT_FACTS` rows, or None.

    One row per product whose id appears in your `payvand_purchase_facts`, labelled and
    ordered as `payvand.sdk.PRODUCT_FACTS` says: `(product_id, name, category, active)`.
    Analytics reads it to name what it recommends, to tell cross-sell from up-sell (by
    category) and to leave inactive products out; callers check it with
    `PRODUCT_FACTS.problems`.
    """


@hookspec
def payvand_marketing_costs() -> MarketingCostsSelect | None:
    """Return this plugin's marketing spend as a SQLAlchemy select of `MARKETING_COSTS` rows, or None.

    One row per cost of a campaign or channel over a period, labelled and ordered as
    `payvand.sdk.MARKETING_COSTS` says: `(period_start, period_end, purpose, channel, campaign,
    amount, currency)`, `purpose` `acquisition` or `retention`. Analytics adds these rows to the
    costs entered on its own pages and spreads them over the customers acquired or kept in the
    period (CAC, cost to keep, profitability); callers check each select with
    `MARKETING_COSTS.problems` and leave out one whose columns differ.
    """


@hookspec
def payvand_service_facts() -> ServiceFactsSelect | None:
    """Return this plugin's service cases as a SQLAlchemy select of `SERVICE_FACTS` rows, or None.

    One row per ticket (or other case), labelled and ordered as `payvand.sdk.SERVICE_FACTS`
    says: `(ticket_id, customer_id, opened_at, solved_at, handling_minutes)`,
    `handling_minutes` NULL when the plugin does not record time spent. Analytics prices each
    case (a cost per case, plus a cost per hour of handling) to find what serving a customer
    costs; callers check each select with `SERVICE_FACTS.problems`.
    """


# --------------------------------------------------------------------------- queries


@hookspec(firstresult=True)
def payvand_recommendations(customer_id: int, limit: int) -> Sequence[Recommendation] | None:
    """Return up to `limit` products to suggest to customer `customer_id`, best first, or None.

    *First result*: one plugin (the analytics plugin) answers; other plugins ask through
    `payvand.sdk.recommend(customer_id, limit)` (marketing templates, the portal) and get an
    empty list when no plugin answers. Answer from stored results: a lookup, not a model fit
    (it is called while pages render). Never suggest what the customer already bought.
    """


# --------------------------------------------------------------------------- events


@hookspec
def payvand_customer_created(customers: Sequence[Customer]) -> None:
    """Customers were created (by form, API, import or another plugin): event `core.customer_created`.

    Called after commit with every customer created in one transaction.
    """


@hookspec
def payvand_customer_updated(customers: Sequence[Customer], changes: CustomerChanges) -> None:
    """Customers were changed (event `core.customer_updated`); `changes[id]` maps each changed field to `[old, new]`.

    Called after commit with every customer changed in one transaction.
    """


@hookspec
def payvand_customer_deleted(customer_ids: Sequence[int]) -> None:
    """Customers were deleted (event `core.customer_deleted`); only their ids remain."""


@hookspec
def payvand_interaction_recorded(interactions: Sequence[Interaction]) -> None:
    """Interactions were recorded (event `core.interaction_recorded`); called after commit with all of one transaction's."""


@hookspec
def payvand_message_received(messages: Sequence[ReceivedMessage]) -> None:
    """Customers' messages were received on a channel (event `core.message_received`); after commit, all of one transaction's.

    Each `ReceivedMessage` names the message and its interaction, the customer (possibly a
    new prospect: `new_customer`), the message of ours it answers and that message's source
    record (`source_type`/`source_id`, e.g. a service ticket), and the parsed message itself.
    Auto-replies, bulk mail and loops (`message.automatic`) are recorded but not delivered.
    """


# Hooks called once per activation, their results cached (see `PluginManager.call_cached`).
REGISTRATION_HOOKS = (
    "payvand_blueprints",
    "payvand_cli",
    "payvand_permissions",
    "payvand_customer_fields",
    "payvand_nav_items",
    "payvand_jobs",
    "payvand_channels",
    "payvand_interaction_kinds",
    "payvand_settings",
    "payvand_record_rules",
    "payvand_event_types",
    "payvand_subscriptions",
    "payvand_config_keys",
    "payvand_bot_answerers",
    "payvand_evaluation_programs",
)

# Hooks called per request or computation.
CONTRIBUTION_HOOKS = (
    "payvand_customer_panels",
    "payvand_customer_merge",
    "payvand_customer_export",
    "payvand_customer_erase",
    "payvand_dashboard_widgets",
    "payvand_demo_data",
    "payvand_recommendations",
    "payvand_returnable_items",
)

# Hooks returning SQL selectables that other plugins read without importing the owner.
DATA_HOOKS = ("payvand_purchase_facts", "payvand_lead_facts", "payvand_customer_keys",
              "payvand_product_facts", "payvand_marketing_costs",
              "payvand_service_facts")

# Hooks whose calls go through the outbox after commit.
EVENT_HOOKS = (
    "payvand_customer_created",
    "payvand_customer_updated",
    "payvand_customer_deleted",
    "payvand_interaction_recorded",
    "payvand_message_received",
)

# The shape of the selectables hooks exchange (their columns, for the reference and for checks).
SHAPES = {"payvand_purchase_facts": PURCHASE_FACTS, "payvand_lead_facts": LEAD_FACTS,
          "payvand_customer_keys": CUSTOMER_KEYS,
          "payvand_product_facts": PRODUCT_FACTS, "payvand_marketing_costs": MARKETING_COSTS,
          "payvand_service_facts": SERVICE_FACTS}

# Hooks that may veto an operation by raising PluginError.
VETO_HOOKS = ("payvand_customer_merge", "payvand_customer_erase")
