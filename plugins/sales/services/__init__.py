"""The sales plugin's services: the rules of each area, used by its API, pages and CLI."""
