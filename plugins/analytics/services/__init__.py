"""The analytics rules, one module per area, used by the CLI, the pages and the jobs."""
