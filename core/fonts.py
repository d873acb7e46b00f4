"""The fonts Payvand bundles for documents it writes itself (PDFs), and where they are.

Vazirmatn covers Persian and Latin; its TTF files come from the pinned npm package
(scripts/assets.json, docs/dev/assets.md) and ship inside the core's static folder. Plugins
reach this through `payvand.sdk.pdf.font_path`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FONT_WEIGHTS", "font_path"]

#: The weights of Vazirmatn shipped as TTF (the web pages use the WOFF2 files).
FONT_WEIGHTS = ("Regular", "Bold")
_TTF = Path(__file__).resolve().parent / "static" / "vendor" / "vazirmatn" / "fonts" / "ttf"


def font_path(weight: str = "Regular") -> str:
    """The path of a bundled Vazirmatn TTF (`Regular` or `Bold`), for embedding in PDFs.

    ValueError for another weight.
    """
    if weight not in FONT_WEIGHTS:
        raise ValueError(f"no vendored Vazirmatn {weight!r}; use one of {', '.join(FONT_WEIGHTS)}")
    return str(_TTF / f"Vazirmatn-{weight}.ttf")
