"""The analytics staff pages (blueprint `analytics`)."""
