"""Bulk customer data in and out: file reading, column mapping, row parsing, batched writes, export.

The entry points are `payvand.core.importer.import_customers` and
`payvand.core.importing.export.export_customers`; the modules here are their parts.
"""
