"""payvand.plugins.sms: the SMS channel (placeholder while the plugin is written)."""
