"""Tests of the sales plugin (plugins/sales)."""
