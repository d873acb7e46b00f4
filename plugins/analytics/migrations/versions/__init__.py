"""Revisions of the analytics branch."""
