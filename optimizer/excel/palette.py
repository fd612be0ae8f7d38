"""One colour per country, the same in every chart of every workbook (plan, sweep, batch); other
codes (the materials of the stock charts) take theirs the same way.

A colour depends on the code alone, never on which countries a case has or their order, so
China is the same red in the baseline chart, the cut's chart and the sweep's frontier. Codes
outside the fixed table hash (SHA-256, stable across runs, unlike Python's `hash`) into a list
of colours that stay apart from each other and from China's red and `other`'s grey.
"""

from __future__ import annotations

import hashlib

CHINA_RED = "#C00000"
OTHER_GREY = "#A6A6A6"

FIXED: dict[str, str] = {
    "CHN": CHINA_RED, "CHINA": CHINA_RED,
    "USA": "#1F4E79", "JPN": "#7030A0", "AUS": "#2E8B57", "MYS": "#ED7D31",
    "KOR": "#00B0F0", "VNM": "#8B5A2B", "EU": "#FFC000", "FRA": "#5B9BD5", "EST": "#00A3A3",
    "DEU": "#404040", "GBR": "#264478", "CAN": "#9E480E", "IND": "#FF66CC", "BRA": "#92D050",
    "MMR": "#B4A7D6", "THA": "#D4A017", "ZAF": "#006400", "RUS": "#843C0C",
    "PARTNERS": "#4472C4", "ROW": "#7F7F7F", "other": OTHER_GREY,
}

# Far from the fixed red and grey, and from each other.
FALLBACK = ("#17BECF", "#BCBD22", "#E377C2", "#8C564B", "#9467BD", "#FF7F0E", "#2CA02C",
            "#1F77B4", "#6B8E23", "#C71585", "#20B2AA", "#B8860B")

CLASS_JOINER = "+"  # an origin class joins its countries' codes (see models.origin)


def colour(code: str) -> str:
    """The colour of a country, group, origin class or `other`, as `#RRGGBB`.

    An origin class of several countries (`CHN+HKG`) takes the colour of its first member in
    the fixed table, so a class holding China is China's red.
    """
    code = str(code).strip()
    if code in FIXED:
        return FIXED[code]
    if code.upper() in FIXED:
        return FIXED[code.upper()]
    members = set(code.split(CLASS_JOINER))
    known = [c for c in FIXED if c in members]
    if known:
        return FIXED[known[0]]
    digest = hashlib.sha256(code.encode()).digest()
    return FALLBACK[int.from_bytes(digest[:4], "big") % len(FALLBACK)]
