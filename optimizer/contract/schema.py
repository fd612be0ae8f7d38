"""The input workbook contract: every sheet, column and setting, in one place.

The reader, the validator, the `template` command and the input reference (docs/inputs.md) are all
generated from the objects below; change the contract here and nowhere else.

A column has a *kind* (how a cell is parsed), optional bounds, an optional *reference* to codes
defined on another sheet, and a *default* used when the cell is blank. Defaults can be literal
values or one of the sentinels below (a setting's value, "every year", "all materials",
"unlimited").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from models.data import BASELINE  # noqa: F401  (the undisrupted scenario's name)

MAX_MAGNITUDE = 1e15  # larger numbers wreck the solver's numerics
MAGNITUDE_TEXT = "1e15"  # how the limit reads in messages

# Sheet and column names a user plausibly adds beside the contract's (notes, sources, the
# template's README and hidden `lists` sheet): never taken for a misspelt contract name.
EXTRA_NAMES = frozenset({
    "readme", "read_me", "notes", "note", "sources", "source", "references", "reference",
    "comments", "comment", "remarks", "info", "about", "lists", "list", "changelog",
    "changes", "history", "instructions", "contents", "metadata", "assumptions", "check",
    "checks", "scratch", "todo",
})


class Kind(StrEnum):
    CODE = "code"  # an identifier: text, stripped, case kept
    TEXT = "text"  # free text
    NUMBER = "number"
    INTEGER = "integer"  # a whole number
    YEAR = "year"  # a whole number between 1900 and 2300
    SHARE = "share"  # a fraction 0-1; "45%" or a cell formatted as percent both work
    BOOL = "bool"  # true/false, yes/no, 1/0
    CHOICE = "choice"  # one of `choices`
    LIST = "list"  # a comma-separated list of values


class Ref(StrEnum):
    """Codes a column may refer to, defined on another sheet."""

    COUNTRY = "country"
    COUNTRY_OR_GROUP = "country or group"
    MATERIAL = "material"
    TECHNOLOGY = "technology"
    SCENARIO = "scenario"
    SHEET = "sheet"


@dataclass(frozen=True)
class _Sentinel:
    name: str
    text: str  # how the default reads in documentation

    def __repr__(self) -> str:
        return self.name


REQUIRED = _Sentinel("REQUIRED", "required")
BLANK = _Sentinel("BLANK", "blank")
EVERY_YEAR = _Sentinel("EVERY_YEAR", "every year of the horizon")
WHOLE_HORIZON = _Sentinel("WHOLE_HORIZON", "the whole horizon")
ALL_MATERIALS = _Sentinel("ALL_MATERIALS", "all materials")
UNLIMITED = _Sentinel("UNLIMITED", "unlimited")
MATERIAL_SHORTAGE_COST = _Sentinel("MATERIAL_SHORTAGE_COST",
                                   "the material's `shortage_cost`")
NO_GROWTH = _Sentinel("NO_GROWTH", "no growth: the row holds its own year only")
NOT_DISPOSABLE = _Sentinel("NOT_DISPOSABLE", "it cannot be disposed of")
REPLACEMENT_COST = _Sentinel("REPLACEMENT_COST", "the material's cheapest supply price in the "
                             "last year (0, with a warning, without a supply row that year)")


@dataclass(frozen=True)
class FromSetting:
    """Default taken from a setting of the `settings` sheet."""

    setting: str

    @property
    def text(self) -> str:
        return f"setting `{self.setting}`"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    unit: str = ""
    default: Any = REQUIRED
    ge: float | None = None  # inclusive lower bound
    gt: float | None = None  # exclusive lower bound
    le: float | None = None  # inclusive upper bound
    lt: float | None = None  # exclusive upper bound
    ref: Ref | None = None
    choices: tuple[str, ...] = ()
    excel_format: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def default_text(self) -> str:
        if self.default is REQUIRED:
            return "required"
        if isinstance(self.default, _Sentinel | FromSetting):
            return self.default.text
        return str(self.default)

    @property
    def expectation(self) -> str:
        """What a valid cell holds, as it reads in an error message."""
        if self.kind is Kind.CHOICE:
            return "one of " + ", ".join(self.choices)
        if self.kind is Kind.BOOL:
            return "true or false"
        if self.kind is Kind.YEAR:
            return "a year (whole number)"
        if self.ref is not None:
            return f"a {self.ref.value} code"
        noun = {
            Kind.CODE: "a code",
            Kind.TEXT: "text",
            Kind.LIST: "a comma-separated list",
            Kind.INTEGER: "a whole number",
            Kind.SHARE: "a share",
            Kind.NUMBER: "a number",
        }[self.kind]
        bounds = self.bounds_text
        return f"{noun} {bounds}" if bounds else noun

    @property
    def bounds_text(self) -> str:
        parts = []
        if self.ge is not None:
            parts.append(f">= {self.ge:g}")
        if self.gt is not None:
            parts.append(f"> {self.gt:g}")
        if self.le is not None:
            parts.append(f"<= {self.le:g}")
        if self.lt is not None:
            parts.append(f"< {self.lt:g}")
        if self.kind is Kind.SHARE and self.ge == 0 and self.le == 1:
            return "between 0 and 1"
        return " and ".join(parts)

    @property
    def is_numeric(self) -> bool:
        return self.kind in (Kind.NUMBER, Kind.INTEGER, Kind.YEAR, Kind.SHARE)

    @property
    def limits(self) -> str:
        """The expectation with every bound spelt out, the magnitude limit included: for a
        number too large, infinite, or (a year) outside its range."""
        if self.kind is Kind.YEAR:
            return f"a year (whole number) from {self.ge:g} to {self.le:g}"
        if not self.is_numeric or self.le is not None or self.lt is not None:
            return self.expectation
        if self.bounds_text:
            return f"{self.expectation} and below {MAGNITUDE_TEXT}"
        return f"{self.expectation} below {MAGNITUDE_TEXT} in size"


@dataclass(frozen=True)
class Sheet:
    name: str
    required: bool
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # columns whose values must be unique together

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Setting:
    """One row of the `settings` sheet: `key` names it, `value` holds it."""

    column: Column  # `column.name` is the key


# ---------------------------------------------------------------------------------------------
# Reusable column shapes

USD = "USD"  # documentation unit; the actual currency is the `currency` setting
TPY = "t/yr (or the material's unit per year)"
PER_OUTPUT = "t per t of output (or the materials' units)"
NUM = "#,##0.00"
SHARE_FORMAT = "0.0%"


def _code(name: str, description: str, ref: Ref | None = None, **kw: Any) -> Column:
    return Column(name, Kind.CODE, description, ref=ref, excel_format="@", **kw)


def _text(name: str, description: str) -> Column:
    return Column(name, Kind.TEXT, description, default=BLANK, excel_format="@")


def _money(name: str, description: str, unit: str, default: Any = REQUIRED) -> Column:
    return Column(name, Kind.NUMBER, description, unit, default, ge=0, excel_format=NUM)


def _quantity(name: str, description: str, default: Any = REQUIRED, **kw: Any) -> Column:
    bounds = kw or {"ge": 0}
    return Column(name, Kind.NUMBER, description, TPY, default, excel_format=NUM, **bounds)


def _coefficient(name: str, description: str) -> Column:
    """A recipe coefficient: per unit of the technology's output, not per year."""
    return Column(name, Kind.NUMBER, description, PER_OUTPUT, 0, ge=0, excel_format=NUM)


def _year(name: str, description: str, default: Any = REQUIRED) -> Column:
    return Column(name, Kind.YEAR, description, "year", default, ge=1900, le=2300, excel_format="0")


def _share(name: str, description: str, default: Any = REQUIRED) -> Column:
    return Column(name, Kind.SHARE, description, "fraction", default, ge=0, le=1,
                  excel_format=SHARE_FORMAT)


# ---------------------------------------------------------------------------------------------
# Settings

# The counterfactuals the `compare` setting may name (see optimizer.solving.compare).
COMPARE_CHOICES = ("no_limits", "no_stockpiles", "none")

SETTINGS: tuple[Setting, ...] = tuple(
    Setting(c)
    for c in (
        _year("first_year", "First year of the planning horizon."),
        _year("last_year", "Last year of the planning horizon."),
        Column("discount_rate", Kind.NUMBER, "Real discount rate per year.", "fraction/yr",
               0.07, ge=0, le=1),
        _year("base_year", "Year to which costs are discounted.", FromSetting("first_year")),
        Column("currency", Kind.CODE, "Currency of every money column (labels only).", "",
               "USD"),
        Column("mip_gap", Kind.NUMBER, "Relative optimality gap at which the solver stops.",
               "fraction", 0.005, ge=0, le=1),
        Column("time_limit_s", Kind.NUMBER, "Solver time limit.", "s", 300, gt=0),
        Column("threads", Kind.INTEGER, "Solver threads (blank: the solver's default).", "",
               BLANK, ge=1, le=1024),
        _money("default_shortage_cost",
               "Cost of each unit of unmet demand, for materials that leave `shortage_cost` "
               "blank (required if any does).", f"{USD}/t", BLANK),
        Column("risk_measure", Kind.CHOICE, "Objective: expected cost, or expected cost plus "
               "`cvar_weight` x CVaR of scenario costs.", "", "expected",
               choices=("expected", "cvar")),
        Column("cvar_alpha", Kind.NUMBER, "CVaR confidence level.", "fraction", 0.9,
               ge=0, lt=1),
        Column("cvar_weight", Kind.NUMBER, "Weight of CVaR in the objective.", "", 0.5, ge=0),
        Column("financing_rate", Kind.NUMBER, "Cost of capital of builds, per year: each build "
               "pays the annuity of its capex at this rate over its lifetime (a site's own "
               "`financing_rate` overrides it).", "fraction/yr", FromSetting("discount_rate"),
               ge=0, le=1),
        Column("origin_rule", Kind.CHOICE, "How origin moves: `transformation` (a plant's "
               "output takes its country; shipping and stocking keep origin), `content` (output "
               "made with any supplier input is the supplier's) or `shipper` (a shipment takes "
               "the country it last came from).", "", "transformation",
               choices=("transformation", "content", "shipper")),
        Column("compare", Kind.TEXT, "Counterfactuals solved after the plan, comma-separated: "
               "`no_limits` (without the dependence limits), `no_stockpiles` (no acquisitions "
               "and no cover; initial stock may be released), or `none`.", "",
               "no_limits, no_stockpiles", excel_format="@"),
        Column("compare_time_limit_s", Kind.NUMBER, "Time limit of each counterfactual, "
               "of narrowing the plan's gap for them (all its solves together), and of "
               "narrowing each sweep run's gap against its effect.", "s",
               FromSetting("time_limit_s"), gt=0),
        Column("trace_origin", Kind.BOOL, "The former name of `origin_rule`: true reads as "
               "`content`, false as `shipper`.", "", BLANK),
    )
)

SETTINGS_BY_NAME = {s.column.name: s.column for s in SETTINGS}

# ---------------------------------------------------------------------------------------------
# Sheets

_COUNTRY = _code("country", "Country code.", Ref.COUNTRY)
_MATERIAL = _code("material", "Material code.", Ref.MATERIAL)
_TECHNOLOGY = _code("technology", "Technology code.", Ref.TECHNOLOGY)

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "settings", True, "Scalar settings, one per row.",
        (
            _code("key", "Setting name (see the settings table)."),
            Column("value", Kind.TEXT, "Setting value.", default=BLANK),
        ),
        key=("key",),
    ),
    Sheet(
        "countries", True, "Country codes (ISO 3166 alpha-3 by convention; any unique code).",
        (_code("country", "Country code."), _text("name", "Country name.")),
        key=("country",),
    ),
    Sheet(
        "groups", False, "Named groups of countries, one row per membership.",
        (
            _code("group", "Group name; must not equal a country code."),
            _COUNTRY,
        ),
        key=("group", "country"),
    ),
    Sheet(
        "materials", True, "Materials at every stage of the chain.",
        (
            _code("material", "Material code."),
            _text("name", "Material name."),
            _text("stage", "Stage of the chain (e.g. concentrate, oxide, metal, magnet)."),
            _text("unit", "Unit of quantities (blank: tonnes)."),
            _money("shortage_cost", "Cost of each unit of demand left unmet.", f"{USD}/t",
                   FromSetting("default_shortage_cost")),
            _money("disposal_cost", "Cost of getting rid of each unit nobody uses (a "
                   "by-product), wherever it is; a plan may dispose of the material in any "
                   "country and year at this cost.", f"{USD}/t", NOT_DISPOSABLE),
        ),
        key=("material",),
    ),
    Sheet(
        "technologies", True, "Processes that turn inputs into outputs by a recipe.",
        (
            _code("technology", "Technology code."),
            _text("name", "Technology name."),
            _code("output", "Main output; capacity and activity are measured in it.",
                  Ref.MATERIAL),
        ),
        key=("technology",),
    ),
    Sheet(
        "recipes", True, "Inputs and outputs per unit of activity; the main output has "
        "output = 1; by-products allowed.",
        (
            _TECHNOLOGY,
            _MATERIAL,
            _coefficient("input", "Units consumed per unit of activity (of the technology's "
                         "output)."),
            _coefficient("output", "Units produced per unit of activity (of the technology's "
                         "output)."),
        ),
        key=("technology", "material"),
    ),
    Sheet(
        "sites", False, "Candidate builds: at most one option per (site, technology), built at "
        "most once.",
        (
            _code("site", "Site name."),
            _TECHNOLOGY,
            _code("option", "Option name (e.g. a plant size).", default="default"),
            _COUNTRY,
            _quantity("capacity", "Capacity of the option, in units of the technology's output.",
                      gt=0),
            _money("capex", "Overnight investment cost of the option; it is paid as an annuity "
                   "at `financing_rate` over the lifetime, in each year the option is online "
                   "within the horizon (budgets limit the overnight capex).", USD),
            _money("fixed_om", "Fixed operating cost per year while available.", f"{USD}/yr", 0),
            _money("variable_cost", "Cost per unit of output produced.", f"{USD}/t", 0),
            Column("lead_time", Kind.INTEGER, "Years from decision to first output (0: output in "
                   "the decision year).", "years", 0, ge=0, le=100, excel_format="0"),
            Column("lifetime", Kind.INTEGER, "Years of output.", "years", gt=0, le=200,
                   excel_format="0"),
            _year("earliest_year", "Earliest decision year.", FromSetting("first_year")),
            _year("latest_year", "Latest decision year.", FromSetting("last_year")),
            Column("financing_rate", Kind.NUMBER, "Cost of capital of the project (lower where "
                   "a government lends).", "fraction/yr", FromSetting("financing_rate"), ge=0,
                   le=1, excel_format="0.00%"),
        ),
        key=("site", "technology", "option"),
    ),
    Sheet(
        "existing_plants", False, "Capacity already in place.",
        (
            _code("plant", "Plant name."),
            _TECHNOLOGY,
            _COUNTRY,
            _quantity("capacity", "Capacity in units of the technology's output."),
            _money("fixed_om", "Fixed operating cost per year.", f"{USD}/yr", 0),
            _money("variable_cost", "Cost per unit of output produced.", f"{USD}/t", 0),
            _year("first_year", "First year of output.", FromSetting("first_year")),
            _year("last_year", "Last year of output.", FromSetting("last_year")),
        ),
        key=("plant",),
    ),
    Sheet(
        "supply", False, "What can be bought at origin (mines, markets). A row with a year "
        "overrides a blank-year row for that year.",
        (
            _COUNTRY,
            _MATERIAL,
            _year("year", "Year (blank: every year).", EVERY_YEAR),
            _quantity("max_quantity", "Most that can be bought in the year.", UNLIMITED),
            _money("price", "Price at origin.", f"{USD}/t"),
        ),
        key=("country", "material", "year"),
    ),
    Sheet(
        "routes", False, "Allowed shipments. A row naming countries and a material overrides a "
        "group or all-material row for the same pair.",
        (
            _code("from_country", "Exporting country or group.", Ref.COUNTRY_OR_GROUP),
            _code("to_country", "Importing country or group.", Ref.COUNTRY_OR_GROUP),
            _code("material", "Material (blank: all).", Ref.MATERIAL, default=ALL_MATERIALS),
            _money("transport_cost", "Transport cost per unit shipped.", f"{USD}/t", 0),
            _money("tariff", "Tariff per unit shipped.", f"{USD}/t", 0),
        ),
        key=("from_country", "to_country", "material"),
    ),
    Sheet(
        "demand", True, "Consumption to be met. A row with a year overrides a blank-year row; "
        "with a `growth`, it also sets the later years without a row of their own.",
        (
            _COUNTRY,
            _MATERIAL,
            _year("year", "Year (blank: every year).", EVERY_YEAR),
            _quantity("quantity", "Consumption in the year."),
            _money("shortage_cost", "Cost of each unit of this row's demand left unmet.",
                   f"{USD}/t", MATERIAL_SHORTAGE_COST),
            Column("growth", Kind.NUMBER, "Growth per year from this row's year: every later "
                   "year of the horizon without a row of its own (same country and material) "
                   "gets quantity x (1 + growth)^(years later), at this row's shortage_cost "
                   "(0: the same quantity); a later row takes over with its own growth. The "
                   "year may be before the horizon (the latest such row carries into it). At "
                   "most 1 (100%/yr: type rows per year for a faster ramp). Needs a year (a "
                   "blank-year row holds every year already).",
                   "fraction/yr", NO_GROWTH, gt=-1, le=1, excel_format="0.0%"),
        ),
        key=("country", "material", "year"),
    ),
    Sheet(
        "stockpiles", False, "Strategic stockpiles held by countries.",
        (
            _COUNTRY,
            _MATERIAL,
            Column("initial", Kind.NUMBER, "Level at the start of first_year.", "t", 0, ge=0,
                   excel_format=NUM),
            Column("capacity", Kind.NUMBER, "Largest level.", "t", ge=0, excel_format=NUM),
            _money("holding_cost", "Cost per unit held at the end of each year.", f"{USD}/t/yr",
                   0),
            Column("min_cover_days", Kind.NUMBER, "Least level, in days of the holder's demand, "
                   "in every year that is not disrupted (a scenario draws its stock during a cut "
                   "and restores it after).", "days", 0, ge=0, le=36500, excel_format="0"),
            _quantity("max_release", "Most released in a year.", UNLIMITED),
            _money("end_value", "Value of each unit left in the stockpile at the end of the "
                   "last year, credited up to that year's cover requirement (stock beyond "
                   "what the policy requires earns nothing).", f"{USD}/t", REPLACEMENT_COST),
            Column("min_level", Kind.NUMBER, "Least level in tonnes, beside the days of cover "
                   "(for stocks the holder does not consume directly): the cover requirement "
                   "is the larger of the two, in the same years.", "t", 0, ge=0,
                   excel_format=NUM),
        ),
        key=("country", "material"),
    ),
    Sheet(
        "dependence_limits", False, "Most of a consumer's supply of a material that may come "
        "from a supplier, in every scenario. `year` alone: that year; `year` and `to_year`: "
        "the years between; both blank: every year. Where rows overlap, the smallest "
        "`max_share` holds.",
        (
            _code("consumer", "Consumer country or group.", Ref.COUNTRY_OR_GROUP),
            _code("supplier", "Supplier country or group.", Ref.COUNTRY_OR_GROUP),
            _MATERIAL,
            _year("year", "Year, or first year with `to_year` (blank: every year, or from "
                  "first_year with `to_year`).", EVERY_YEAR),
            _year("to_year", "Last year of the row (blank: `year` alone).", BLANK),
            _share("max_share", "Largest share of the consumer's supply from the supplier."),
        ),
        key=("consumer", "supplier", "material", "year", "to_year"),
    ),
    Sheet(
        "budgets", False, "Most capex of builds in a country or group.",
        (
            _code("country", "Country or group.", Ref.COUNTRY_OR_GROUP),
            _year("year", "Decision year (blank: the whole horizon).", WHOLE_HORIZON),
            _money("max_capex", "Largest capex of builds decided in the year (or horizon).", USD),
        ),
        key=("country", "year"),
    ),
    Sheet(
        "scenarios", False, "Disruption scenarios; the undisrupted `baseline` gets the remaining "
        "probability.",
        (
            _code("scenario", "Scenario name (not `baseline`)."),
            _share("probability", "Probability of the scenario."),
            _text("description", "What happens."),
        ),
        key=("scenario",),
    ),
    Sheet(
        "disruptions", False, "Export cuts of a scenario.",
        (
            _code("scenario", "Scenario name.", Ref.SCENARIO),
            _code("supplier", "Country or group whose exports are cut.", Ref.COUNTRY_OR_GROUP),
            _MATERIAL,
            _year("from_year", "First year of the cut."),
            _year("to_year", "Last year of the cut.", FromSetting("last_year")),
            _share("cut", "Fraction of the supplier's exports lost, measured against the "
                   "reference.", 1),
            _quantity("reference", "Exports the cut is measured against, per year (blank: the "
                      "supplier's exports in the reference plan, which has existing plants "
                      "only, no limits, no cuts and no cover).", BLANK),
            _code("to_country", "Country or group the cut is aimed at (blank: every country "
                  "outside the supplier).", Ref.COUNTRY_OR_GROUP, default=BLANK),
        ),
        key=("scenario", "supplier", "material", "from_year", "to_country"),
    ),
    Sheet(
        "sweeps", False, "Parameter variations for `optimizer sweep`; two rows with the same "
        "sweep name form a grid.",
        (
            _code("sweep", "Sweep name."),
            _code("sheet", "Sheet whose column is varied.", Ref.SHEET),
            _code("column", "Column varied."),
            Column("where", Kind.TEXT, "Rows varied, e.g. `country=CHN; material=NDFEB` "
                   "(blank: all rows).", default=BLANK, excel_format="@"),
            Column("mode", Kind.CHOICE, "`set` replaces the value; `scale` multiplies it.",
                   choices=("set", "scale")),
            Column("values", Kind.LIST, "Comma-separated values.", excel_format="@"),
        ),
        key=("sweep", "sheet", "column", "where"),
    ),
)

SHEETS_BY_NAME = {s.name: s for s in SHEETS}

# Year columns that open and close a span on one row (the first is not after the second).
YEAR_SPANS: tuple[tuple[str, str, str], ...] = (
    ("sites", "earliest_year", "latest_year"),
    ("existing_plants", "first_year", "last_year"),
    ("disruptions", "from_year", "to_year"),
    ("dependence_limits", "year", "to_year"),
)

# Codes a reference column may name come from these sheet columns.
REF_SOURCES: dict[Ref, tuple[tuple[str, str], ...]] = {
    Ref.COUNTRY: (("countries", "country"),),
    Ref.COUNTRY_OR_GROUP: (("countries", "country"), ("groups", "group")),
    Ref.MATERIAL: (("materials", "material"),),
    Ref.TECHNOLOGY: (("technologies", "technology"),),
    Ref.SCENARIO: (("scenarios", "scenario"),),
}



@dataclass(frozen=True)
class Issue:
    """One problem (or warning) found in an input, located as Excel shows it."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    warning: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        where = []
        if self.sheet is not None:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message
