"""The analytics API's blueprint, apart so that each module of routes can join it without
importing the package that gathers them."""

from __future__ import annotations

from payvand.sdk import ApiBlueprint

blp = ApiBlueprint("analytics", __name__, url_prefix="/analytics",
                   description="Analytics: lifetime value (BG/NBD, Gamma-Gamma), RFM segments and recommendations,"
                               " from the stored runs.")
