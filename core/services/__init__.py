"""Domain services: every change to core data goes through here (audit, events, rules)."""
