"""The sales plugin's permissions (`sales.<thing>.<action>`), declared through `payvand_permissions`."""

from __future__ import annotations

from payvand.sdk import N_, PermissionSpec

LEAD_VIEW = "sales.lead.view"
LEAD_EDIT = "sales.lead.edit"
LEAD_DELETE = "sales.lead.delete"
DEAL_VIEW = "sales.deal.view"
DEAL_EDIT = "sales.deal.edit"
DEAL_DELETE = "sales.deal.delete"
CATALOG_VIEW = "sales.catalog.view"
CATALOG_EDIT = "sales.catalog.edit"
DOCUMENT_VIEW = "sales.document.view"  # quotes, orders, invoices
DOCUMENT_EDIT = "sales.document.edit"
DOCUMENT_ALL = "sales.document.all"  # every rep's quotes, orders and invoices (accounting)
PAYMENT_RECORD = "sales.payment.record"
REPORTS_VIEW = "sales.reports.view"
MANAGE = "sales.manage"  # settings, pipelines, scoring rules; sees every rep's leads and deals

PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec(LEAD_VIEW, N_("See leads (own only, unless sales.manage)")),
    PermissionSpec(LEAD_EDIT, N_("Create, change and convert leads")),
    PermissionSpec(LEAD_DELETE, N_("Delete leads")),
    PermissionSpec(DEAL_VIEW, N_("See deals and the pipeline (own only, unless sales.manage)")),
    PermissionSpec(DEAL_EDIT, N_("Create and move deals, plan activities")),
    PermissionSpec(DEAL_DELETE, N_("Delete deals")),
    PermissionSpec(CATALOG_VIEW, N_("See products, price lists and brochures")),
    PermissionSpec(CATALOG_EDIT, N_("Change products, prices and brochures")),
    PermissionSpec(DOCUMENT_VIEW, N_("See quotes, orders and invoices (own only, unless sales.manage or sales.document.all)")),
    PermissionSpec(DOCUMENT_ALL, N_("See and work on every rep's quotes, orders and invoices (accounting)")),
    PermissionSpec(DOCUMENT_EDIT, N_("Write quotes, place orders, issue invoices")),
    PermissionSpec(PAYMENT_RECORD, N_("Record payments on invoices")),
    PermissionSpec(REPORTS_VIEW, N_("See sales reports and export them")),
    PermissionSpec(MANAGE, N_("Manage sales settings, pipelines and scoring; see every rep's leads and deals")),
)
