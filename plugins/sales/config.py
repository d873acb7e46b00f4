"""The deployment configuration keys the sales plugin reads (`payvand_config_keys`).

The core reads them at start-up (the app's configuration, else the environment, else these
defaults, parsed as each type) and `payvand config` lists them; read them with
`payvand.sdk.config_value(name)` or from the app's configuration.
"""

from __future__ import annotations

from payvand.sdk import ConfigKey

LEAD_FORM_MIN_SECONDS = "PAYVAND_LEAD_FORM_MIN_SECONDS"
LEAD_FORM_RATE = "PAYVAND_LEAD_FORM_RATE"
LEAD_IMPORT_MAX_MB = "PAYVAND_LEAD_IMPORT_MAX_MB"
ATTACHMENT_MAX_BYTES = "PAYVAND_SALES_ATTACHMENT_MAX_BYTES"

CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(LEAD_FORM_MIN_SECONDS, float, 3.0, "a lead form sent sooner after it was shown is refused (bots)"),
    ConfigKey(LEAD_FORM_RATE, str, "5 per 10 minutes",
              "lead forms accepted per address (shared through PAYVAND_RATELIMIT_STORAGE_URI)"),
    ConfigKey(LEAD_IMPORT_MAX_MB, float, 5.0, "largest CSV the Import leads page accepts (the CLI has no limit)"),
    ConfigKey(ATTACHMENT_MAX_BYTES, int, 10 * 1024 * 1024, "largest product image or brochure"),
)
