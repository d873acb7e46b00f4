"""The service plugin's rules, one module per area (tickets, routing, business hours, SLA)."""
