"""Payvand's kernel: customers, interactions, hook specifications and the plugin manager."""

__version__ = "0.1.0"
