"""How the contract reads in words, shared by the input reference (docs/inputs.md) and the
template's README sheet, so the two agree."""

from __future__ import annotations

import math

from optimizer.contract.schema import BLANK, REF_SOURCES, REQUIRED, Column, Ref

SIGNIFICANT = 4  # digits a quantity in a message keeps below 1,000 (above it: whole units)

CONVENTIONS: tuple[str, ...] = (
    "Quantities are tonnes per year unless the material's `unit` (sheet `materials`) says "
    "otherwise.",
    "Money is in the `currency` setting (default USD), undiscounted, in real terms.",
    "Shares are fractions 0-1; a cell formatted as a percentage (45%) works too.",
    "A blank year means every year of the horizon.",
    "Wherever a column takes a country or group, a group name expands to its member countries.",
    "A blank cell in a column with a default takes the default; other columns are required.",
    "Sheet and column names are lower-case snake_case (case and spaces are forgiven); blank "
    "rows are skipped.",
    "A sheet, column or setting name close to the contract's (a typo, a dash for an "
    "underscore, a plural, a name cut short) is an error naming the intended one; other extra "
    "columns and sheets are ignored with a warning (none for notes, sources or a README).",
    "Codes that differ only by case (USA, usa) are an error; rows whose year lies outside the "
    "horizon are ignored with a warning (a demand row before it with a growth carries into it; "
    "rows spanning years partly outside it are clipped to it, silently).",
    "A demand, supply max_quantity or capacity that jumps 100-fold or more between consecutive "
    "years of the same country and material (or site or plant technology) is a warning naming "
    "both rows: a slip of units or zeros?",
    "A site's capex below 1 (currency) per t/yr of its capacity is a warning: real plants cost "
    "thousands, so it is likely typed in millions.",
    "A rate, share or growth (a fraction, at most 1) typed as 7 for 7% is an error that says "
    "so: write 7% or 0.07.",
)



def default_text(column: Column) -> str:
    """How a column's blank cell reads: required, optional (stays blank), or its default."""
    if column.default is REQUIRED:
        return "required"
    if column.default is BLANK:
        return "optional"
    if isinstance(column.default, bool):  # Python's False reads as Excel's FALSE, not "False"
        return f"blank = {str(column.default).lower()}"
    return f"blank = {column.default_text}"



def refers_to(column: Column) -> str:
    """Where the codes a reference column may hold are typed, e.g. `countries.country`."""
    if column.ref is Ref.SHEET:
        return "a sheet name of this workbook's contract"
    if column.ref is None:
        return ""
    return " or ".join(f"{sheet}.{col}" for sheet, col in REF_SOURCES[column.ref])



def plain(text: str) -> str:
    """Markdown code spans read as clutter in Excel cells."""
    return text.replace("`", "")



def number_text(value: float) -> str:
    """A number as people write it: thousands separators and no exponent (250,000, not
    2.5e+05; 27.4; 0.005), whole above 1,000, else to SIGNIFICANT digits."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = min(max(SIGNIFICANT - 1 - math.floor(math.log10(abs(value))), 0), 12)
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quantity_text(value: float, unit: str = "t") -> str:
    """A quantity with its unit, for messages: `250,000 t`."""
    return f"{number_text(value)} {unit}"
