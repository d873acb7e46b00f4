"""Revisions of the sales branch."""
