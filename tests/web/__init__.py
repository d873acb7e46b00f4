"""Tests of the staff web UI."""
