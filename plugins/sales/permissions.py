"""The sales plugin's permissions (`sales.<thing>.<action>`), declared through `payvand_permissions`."""

from __future__ import annotations

from payvand.sdk import PermissionSpec

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
    PermissionSpec(LEAD_VIEW, "See leads (own only, unless sales.manage)"),
    PermissionSpec(LEAD_EDIT, "Create, change and convert leads"),
    PermissionSpec(LEAD_DELETE, "Delete leads"),
    PermissionSpec(DEAL_VIEW, "See deals and the pipeline (own only, unless sales.manage)"),
    PermissionSpec(DEAL_EDIT, "Create and move deals, plan activities"),
    PermissionSpec(DEAL_DELETE, "Delete deals"),
    PermissionSpec(CATALOG_VIEW, "See products, price lists and brochures"),
    PermissionSpec(CATALOG_EDIT, "Change products, prices and brochures"),
    PermissionSpec(DOCUMENT_VIEW, "See quotes, orders and invoices (own only, unless sales.manage or sales.document.all)"),
    PermissionSpec(DOCUMENT_ALL, "See and work on every rep's quotes, orders and invoices (accounting)"),
    PermissionSpec(DOCUMENT_EDIT, "Write quotes, place orders, issue invoices"),
    PermissionSpec(PAYMENT_RECORD, "Record payments on invoices"),
    PermissionSpec(REPORTS_VIEW, "See sales reports and export them"),
    PermissionSpec(MANAGE, "Manage sales settings, pipelines and scoring; see every rep's leads and deals"),
)
