"""Writes inputs/base_case.xlsx: the bundled rare-earth magnet base case.

A 2025-2040 horizon whose first year is the year of record, 2025: mined concentrate (REO basis)
-> NdPr oxide (+ Dy and Tb oxide by-products, or from heavy-RE circuits) -> NdPr metal ->
sintered NdFeB, with end-of-life/process scrap recycled to NdPr oxide (and Dy, Tb). Every figure
comes from ../shared/reference/supply-chain-figures.md (relative to the project; tags such as
[D1] resolve in its section 6), from the review beside it (base-case-review.md, cited by its
row) or is derived from them; the `sources` sheet lists one row per figure with its tag or the
arithmetic, the year the figure is for and how it was brought to 2025. Figures the reference
does not give (transport costs, variable costs of metal making and recycling, scrap price,
lifetimes, scenario probabilities, shortage cost) are marked "assumption" there.

    python inputs/base_case.py

`sheets(policy=True, disruptions=True)` returns the rows; `policy=False` drops the dependence
limits and the (2026-announced) US Project Vault stockpile, `disruptions=False` drops the China
export-cut scenarios. The calibration test solves `sheets(policy=False, disruptions=False)`.
"""

from __future__ import annotations

import math
from pathlib import Path

from optimizer.excel.sheets import write_sheets

FIRST, LAST = 2025, 2040
YEARS = range(FIRST, LAST + 1)
DISCOUNT_RATE = 0.07

USD_PER_AUD = 0.65          # reference section 5 currency conversions (EST)
USD_PER_EUR = 1.10

# --- chain coefficients ------------------------------------------------------------------
REO_PER_NDPR = 13_343 / 4_440            # Nolans TREO / NdPr oxide [F11]  -> 3.005
OXIDE_PER_METAL = 1 / 0.850              # NdPr oxide (75:25) -> metal mass factor 0.850
SCRAP_GROSS_UP = 1.35                    # 1/(1 - scrap) when swarf not recycled in house
NDPR_METAL_PER_MAGNET = 0.295 * SCRAP_GROSS_UP       # 295 kg NdPr metal per t magnet
# EV-grade magnets carry 11.5 kg Dy2O3 + 3.5 kg Tb4O7 per t, consumer grades none [5.8]; the
# heavy-bearing share makes world use what China's output shows (214 t Dy2O3 + 41 t Tb4O7 a
# month, SMM via atechmagnet, review row 10) for 2024's 230 kt of magnets [D10]
WORLD_HEAVY_USE = (214 + 41) * 12
HEAVY_GRADE_SHARE = WORLD_HEAVY_USE / (230_000 * (0.0115 + 0.0035) * SCRAP_GROSS_UP)
DY_PER_MAGNET = 0.0115 * SCRAP_GROSS_UP * HEAVY_GRADE_SHARE
TB_PER_MAGNET = 0.0035 * SCRAP_GROSS_UP * HEAVY_GRADE_SHARE
HEAVY_PER_MAGNET = DY_PER_MAGNET + TB_PER_MAGNET
NDPR_OXIDE_PER_MAGNET = NDPR_METAL_PER_MAGNET * OXIDE_PER_METAL
SCRAP_PER_NDPR = 1 / 0.347               # t magnet scrap per t NdPr oxide (347 kg/t content)
SWARF_PER_MAGNET = SCRAP_GROSS_UP - 1    # t swarf per t magnet: the gross-up's scrap
DY_SHARE_OF_DYTB = 240 / (240 + 66)                 # Energy Fuels Phase 2 Dy : Tb [F12]
TB_PER_DY_HEAVY_FEED = 0.01 / 0.05                  # SEG-heavy feed: ~5% Dy, ~1% Tb (row 11)

# --- prices (USD/t) --------------------------------------------------------------------------
CONC_PRICE = 260e6 / 45_000                          # US 2024 value / t REO [D1]
NDPR_OXIDE_PRICE = (60_000 + 78_000) / 2             # China 2025: Jul ~60, Nov ~78 USD/kg
NDPR_INCENTIVE_PRICE = (75_000 + 105_000) / 2        # ex-China incentive price, Jul 2025
DY_PRICE = 224_000                                   # Dy2O3 $224/kg, 2025 volume mean [P6]
TB_PRICE = 925_000                                   # Tb4O7 $925/kg, Nov 2025 [P7]
HEAVY_PREMIUM = 1.5                                  # ex-China Dy, Tb ~1.5x China [5.5]
MAGNET_RAW = (NDPR_OXIDE_PER_MAGNET * NDPR_OXIDE_PRICE + DY_PER_MAGNET * DY_PRICE
              + TB_PER_MAGNET * TB_PRICE)
MAGNET_COST = MAGNET_RAW / 0.9 / 0.8     # REE > 90% of raw materials, raw ~80% of cost [X2]
MAGNET_CONVERSION = MAGNET_COST - MAGNET_RAW / 0.9
# China sets the price, so its price less feed is China's full separation cost; what a plant
# elsewhere needs on top is the gap to the incentive price
SEP_COST_CHINA = NDPR_OXIDE_PRICE - REO_PER_NDPR * CONC_PRICE
SEP_PREMIUM = NDPR_INCENTIVE_PRICE - NDPR_OXIDE_PRICE
MAGNET_PREMIUM = (10_000 + 30_000) / 2   # ex-China magnets +10-30 USD/kg, Jul 2025
# the magnet premium less the premium of the oxide in it is the premium of making it
MAGNET_CONVERSION_PREMIUM = MAGNET_PREMIUM - NDPR_OXIDE_PER_MAGNET * SEP_PREMIUM
WEDGE = 1_000                            # freight 400 + 600 export licensing
NDPR_FLOOR = 110_000                     # DoD floor for MP's NdPr oxide, 10 years [F4, P10]
FLOOR_YEARS = range(FIRST, FIRST + 10)   # from Q4 2025 [P10]: 2025-2034 in the plan's years
GOV_LENDING_RATE = 0.045                 # a sovereign lender's long-term rate (assumption)
RAMP_YEARS = 3                           # a new plant reaches nameplate in its third year (EST)

# --- demand ------------------------------------------------------------------------------------
GROWTH = 1.55 ** (1 / 16) - 1           # IEA STEPS: REE demand +50-60% 2024-2040
WORLD_MAGNETS_2025 = 230_000 * (1 + GROWTH)          # 220-240 kt in 2024 [D10]
US_MAGNETS_2025 = (7_500 + 8_000) / 2  # reference EST for 2025, US output ~0 [D10, D11]
JP_MAGNETS = 12_400                      # Japan NdFeB alloy production 2020 [D15]
JP_DEMAND = 23_000                       # Japan's magnet use (review row 4)
CN_MAGNET_EXPORTS = 58_152               # China's 2024 magnet exports (review row 6)
US_UPSTREAM = 60_000                     # MP "Upstream 60K", t REO/yr [F2]
LYNAS_2025 = 6_558                       # Lynas FY25 NdPr output (review row 11)
MP_2025 = 721 * 4                        # MP Q3-2025 NdPr x 4 (review row 12)
HELD = "held for 2025 (no later figure in the reference)"
CN_RECYCLED = 26_504                     # China's recycled PrNd oxide 2024 [X8]
CHINA_OXIDE_SHARE = 0.91                 # of NdPr oxide made in 2025 (IEA) [D6]
JAPAN_CHINA_SHARE = 0.65                 # of Japan's RE compound and metal imports [D13-D18]
EU_MAGNETS = (2_000 / 0.10 + 30_000) / 2  # Neo 2 kt ~10% of EU use; EU ~30 kt (review row 5)
INDIA_MINES = 2_900                      # India 2024 mine output, t REO [D1]

SOURCES: list[list] = [["sheet", "key", "column", "value", "source"]]


def src(sheet: str, key: str, column: str, value, source: str):
    """Record one figure on the `sources` sheet and return it."""
    SOURCES.append([sheet, key, column, value if not isinstance(value, float)
                    else round(value, 6), source])
    return value


def grow(q: float, year: int) -> float:
    return q * (1 + GROWTH) ** (year - FIRST)


def r(x: float, nd: int = 0) -> float:
    return round(x, nd) if nd else float(round(x))


def _settings() -> list[list]:
    return [["key", "value"], ["first_year", FIRST], ["last_year", LAST],
            ["discount_rate", src("settings", "discount_rate", "value", DISCOUNT_RATE,
                                  "[G31, R2] 7% discount rate (Busch et al. 2024); brief")],
            ["mip_gap", 0.005],
            ["time_limit_s", src("settings", "time_limit_s", "value", 300,
                                 "the policy case takes ~50 s of CPU, 100-150 s of wall time on "
                                 "two cores shared with other solves (120 s ran out once)")],
            ["compare_time_limit_s", 300],
            ["currency", "USD"],
            ["default_shortage_cost", src("settings", "default_shortage_cost", "value",
                                          r(10 * MAGNET_COST), "assumption: 10x derived "
                                          "magnet cost (see materials NDFEB)")],
            ["origin_rule", "content"]]


COUNTRIES = [["country", "name"], ["USA", "United States"], ["JPN", "Japan"],
             ["CHN", "China"], ["AUS", "Australia"], ["MYS", "Malaysia"],
             ["EST", "Estonia (Neo Silmet, Narva)"], ["FRA", "France (Solvay La Rochelle)"],
             ["VNM", "Vietnam"], ["KOR", "South Korea"], ["IND", "India"],
             ["ROW", "Rest of world (Myanmar, Nigeria, Thailand, ...)"]]

GROUPS = [["group", "country"], ["CHINA", "CHN"],
          *[["PARTNERS", c] for c in ("USA", "JPN", "AUS", "MYS", "EST", "FRA", "VNM")],
          ["ASIA_PARTNERS", "KOR"], ["ASIA_PARTNERS", "IND"],
          ["EU", "EST"], ["EU", "FRA"]]


def _materials() -> list[list]:
    short = src("materials", "NDFEB", "shortage_cost", r(10 * MAGNET_COST),
                f"assumption: 10x derived magnet cost {MAGNET_COST:,.0f} USD/t "
                f"(raw materials {MAGNET_RAW:,.0f} / 0.9 / 0.8 [X2]); kept though review row "
                "19 finds it unsourced and low: no figure prices unmet magnets")
    return [["material", "name", "stage", "unit", "shortage_cost"],
            ["CONC", "Mixed rare-earth concentrate (t REO)", "concentrate", "t REO", short],
            ["NDPR_OXIDE", "NdPr oxide", "oxide", "t", short],
            ["DY_OXIDE", "Dysprosium oxide (Dy2O3)", "oxide", "t", short],
            ["TB_OXIDE", "Terbium oxide (Tb4O7)", "oxide", "t", short],
            ["NDPR_METAL", "NdPr metal/alloy", "metal", "t", short],
            ["NDFEB", "Sintered NdFeB magnet", "magnet", "t", short],
            ["SCRAP", "NdFeB magnet scrap (process swarf)", "scrap", "t", short]]


TECHNOLOGIES = [["technology", "name", "output"],
                ["SEP", "Light-RE separation (concentrate -> NdPr oxide)", "NDPR_OXIDE"],
                ["SEP_HRE", "Separation with heavy-RE circuit (Energy Fuels ratio)",
                 "NDPR_OXIDE"],
                ["MINE_SEP", "Integrated mine + cracking + separation, heavy-RE feed (Iluka)",
                 "NDPR_OXIDE"],
                ["MINE_SEP_LRE", "Integrated mine + cracking + separation, light-RE feed "
                 "(Nolans)", "NDPR_OXIDE"],
                ["METAL", "NdPr metallisation", "NDPR_METAL"],
                ["MAGNET", "Sintered NdFeB magnet making (from metal)", "NDFEB"],
                ["MAGNET_INT", "Integrated metal + alloy + magnet (from oxide)", "NDFEB"],
                ["RECYCLE", "Magnet scrap recycling to NdPr oxide", "NDPR_OXIDE"],
                ["HEAVY_SEP", "Heavy-RE circuit (SEG-heavy feed -> Dy oxide + Tb oxide)",
                 "DY_OXIDE"]]


def _recipes() -> list[list]:
    conc = src("recipes", "SEP", "input CONC", r(REO_PER_NDPR, 4),
               "derived: Nolans 13,343 t TREO / 4,440 t NdPr oxide [F11]; kept for plants "
               "outside China though review row 7 finds Mountain Pass at 15.7% NdPr: the "
               "recipe has one ratio, and China's capacity is calibrated (see CN_SEP)")
    ef2 = _dy_tb_outputs("SEP_HRE", (240 + 66) / 6_000,
                         "derived: Energy Fuels Phase 2 (240 t Dy + 66 t Tb) / 6,000 t NdPr "
                         "[F12]")
    iluka = _dy_tb_outputs("MINE_SEP", 750 / 5_500,
                           "derived: Iluka 750 t DyTb / 5,500 t NdPr [F10], split as Energy "
                           "Fuels' (also monazite feed; Iluka gives no split: EST)")
    nolans = _dy_tb_outputs("MINE_SEP_LRE", 474 / 4_440 / 10,
                            "derived: Nolans 474 t HREO / 4,440 t NdPr [F11] / 10: its "
                            "by-product is a mixed SEG-heavy carbonate, mostly Sm/Eu/Gd (review "
                            "row 14, inconsistency 6), split as Energy Fuels' (EST)")
    tb_heavy = src("recipes", "HEAVY_SEP", "output TB_OXIDE", TB_PER_DY_HEAVY_FEED,
                   "derived: a SEG-heavy feed yields ~5% Dy and ~1% Tb (Lynas, rawmaterials.net,"
                   " review row 11): 0.2 t Tb oxide per t Dy oxide")
    o_m = src("recipes", "METAL", "input NDPR_OXIDE", r(OXIDE_PER_METAL, 4),
              "derived: 1 / 0.850 NdPr oxide (75:25) -> metal mass factor [5.8, EST]")
    m_m = src("recipes", "MAGNET", "input NDPR_METAL", r(NDPR_METAL_PER_MAGNET, 4),
              "derived: 295 kg NdPr metal per t magnet x 1.35 scrap gross-up [5.8 BOM, X3-X5,"
              " X8]")
    share = f"{HEAVY_GRADE_SHARE:.1%}"
    dy_m = src("recipes", "(MAGNET, MAGNET_INT)", "input DY_OXIDE", r(DY_PER_MAGNET, 5),
               f"derived: 11.5 kg Dy2O3 per t EV-grade magnet x 1.35 gross-up [5.8 BOM, X5] x "
               f"{share}, the heavy-bearing share (consumer/HDD grades use none [5.8]) at "
               f"which 2024's 230 kt of magnets [D10] use {WORLD_HEAVY_USE:,} t/yr of Dy + Tb "
               "oxide: China's output 214 t Dy2O3 + 41 t Tb4O7 a month (SMM via atechmagnet, "
               "review row 10), not the 5.2 kt/yr of the full EV-grade dose")
    tb_m = src("recipes", "(MAGNET, MAGNET_INT)", "input TB_OXIDE", r(TB_PER_MAGNET, 5),
               f"derived: 3.5 kg Tb4O7 per t EV-grade magnet x 1.35 x {share} (as Dy)")
    o_int = src("recipes", "MAGNET_INT", "input NDPR_OXIDE", r(NDPR_OXIDE_PER_MAGNET, 4),
                "derived: 0.398 t NdPr metal x 1/0.850 (347 kg oxide x 1.35) [5.8]")
    s_r = src("recipes", "RECYCLE", "input SCRAP", r(SCRAP_PER_NDPR, 4),
              "derived: 1 / 0.347 t NdPr oxide per t magnet (BOM, 347 kg oxide eq.) [5.8]")
    dy_r = src("recipes", "RECYCLE", "output DY_OXIDE", r(710 / CN_RECYCLED, 4),
               "derived: China recycled 710 t Dy oxide / 26,504 t PrNd oxide 2024 [X8]")
    tb_r = src("recipes", "RECYCLE", "output TB_OXIDE", r(160 / CN_RECYCLED, 4),
               "derived: China recycled 160 t Tb oxide / 26,504 t PrNd oxide 2024 [X8]")
    return [["technology", "material", "input", "output"],
            ["SEP", "CONC", conc, None], ["SEP", "NDPR_OXIDE", None, 1],
            ["SEP_HRE", "CONC", conc, None], ["SEP_HRE", "NDPR_OXIDE", None, 1],
            *ef2,
            ["MINE_SEP", "NDPR_OXIDE", None, 1], *iluka,
            ["MINE_SEP_LRE", "NDPR_OXIDE", None, 1], *nolans,
            ["METAL", "NDPR_OXIDE", o_m, None], ["METAL", "NDPR_METAL", None, 1],
            ["MAGNET", "NDPR_METAL", m_m, None], ["MAGNET", "DY_OXIDE", dy_m, None],
            ["MAGNET", "TB_OXIDE", tb_m, None], ["MAGNET", "NDFEB", None, 1],
            ["MAGNET_INT", "NDPR_OXIDE", o_int, None], ["MAGNET_INT", "DY_OXIDE", dy_m, None],
            ["MAGNET_INT", "TB_OXIDE", tb_m, None], ["MAGNET_INT", "NDFEB", None, 1],
            ["RECYCLE", "SCRAP", s_r, None], ["RECYCLE", "NDPR_OXIDE", None, 1],
            ["RECYCLE", "DY_OXIDE", None, dy_r], ["RECYCLE", "TB_OXIDE", None, tb_r],
            ["HEAVY_SEP", "DY_OXIDE", None, 1], ["HEAVY_SEP", "TB_OXIDE", None, tb_heavy]]


def _dy_tb_outputs(technology: str, per_ndpr: float, why: str) -> list[list]:
    """The Dy and Tb oxide by-product rows of a separation recipe making `per_ndpr` t of the
    two per t NdPr oxide, split in Energy Fuels' Phase 2 ratio [F12]."""
    dy = src("recipes", technology, "output DY_OXIDE", r(per_ndpr * DY_SHARE_OF_DYTB, 5), why)
    tb = src("recipes", technology, "output TB_OXIDE", r(per_ndpr * (1 - DY_SHARE_OF_DYTB), 5),
             why)
    return [[technology, "DY_OXIDE", None, dy], [technology, "TB_OXIDE", None, tb]]


def _variable_costs() -> dict[str, float]:
    """Costs of making each output: China's, and ex-China's with the premium the market shows
    (keys ending _CN are China's; the others are for plants and sites outside China)."""
    src("existing_plants", "(ex-China SEP, SEP_HRE, MINE_SEP)", "premium",
                  r(SEP_PREMIUM, -2),
        "derived: NdPr incentive price 75-105 USD/kg (Reuters 1 Jul 2025, review "
                  "row 9; mid 90) - China's 2025 price 69 USD/kg: what separation outside "
                  "China costs more")
    sep_cn = src("existing_plants", "(China SEP)", "variable_cost", r(SEP_COST_CHINA, -2),
                 f"derived: China NdPr oxide 2025 ~60 USD/kg Jul, ~78 Nov [P7, P8] (review row "
                 f"8; mean 69,000 USD/t) - {REO_PER_NDPR:.3f} t REO x {CONC_PRICE:,.0f} USD/t "
                 "concentrate (2024 [D1], held): China's full cost at the price it sets")
    sep_x = src("existing_plants", "(ex-China SEP, SEP_HRE)", "variable_cost",
                r(SEP_COST_CHINA + SEP_PREMIUM, -2), "derived: China's cost + ex-China premium")
    integ = src("sites", "(MINE_SEP, MINE_SEP_LRE)", "variable_cost", r(NDPR_INCENTIVE_PRICE, -2),
                "derived: own feed at the concentrate price + ex-China separation cost = the "
                "NdPr incentive price 90 USD/kg (review row 9)")
    magnet = src("existing_plants", "(all MAGNET)", "variable_cost",
                 r(MAGNET_CONVERSION, -2),
                 f"derived: magnet cost {MAGNET_COST:,.0f} - raw materials "
                 f"{MAGNET_RAW / 0.9:,.0f} (raw materials ~80% of magnet cost, REE >90% of "
                 "raw materials [X2]; 2025 NdPr price); the makers outside China that run in "
                 "2025 run at China's cost (their capital is spent: EST), so they keep "
                 "running against China's magnets carrying freight and licensing")
    magnet_x = src("sites", "(MAGNET)", "variable_cost",
                   r(MAGNET_CONVERSION + MAGNET_CONVERSION_PREMIUM, -2),
                   f"derived: China's + {MAGNET_CONVERSION_PREMIUM:,.0f} for new plants outside "
                   "China: ex-China magnets +10-30 USD/kg (Reuters 1 Jul 2025, review row 9; "
                   f"mid 20) less the {NDPR_OXIDE_PER_MAGNET:.3f} t of oxide's separation "
                   "premium; capex comes on top")
    metal = src("existing_plants", "(all METAL)", "variable_cost", 5_000,
                "assumption: metallisation conversion cost (no figure in the reference)")
    recycle = src("existing_plants", "(all RECYCLE)", "variable_cost", 20_000,
                  "assumption: recycling conversion cost (no figure in the reference)")
    heavy = src("existing_plants", "(HEAVY_SEP)", "variable_cost",
                r(DY_PRICE + TB_PER_DY_HEAVY_FEED * TB_PRICE, -2),
                "derived: China's price of its output, 1 t Dy oxide (224 USD/kg [P6]) + 0.2 t "
                "Tb oxide (925 USD/kg [P7]): the circuits running in 2025 and MP's, built with "
                "a DoD loan, run against China's oxide carrying freight and licensing (as the "
                "magnet makers, EST)")
    heavy_x = src("sites", "(HEAVY_SEP)", "variable_cost", r(HEAVY_PREMIUM * heavy, -2),
                  "derived: ex-China Dy and Tb ~1.5x China's price [5.5]: what a new circuit "
                  "outside China needs; capex comes on top")
    return {"SEP": sep_x, "SEP_CN": sep_cn, "SEP_HRE": sep_x, "MINE_SEP": integ,
            "MINE_SEP_LRE": integ, "HEAVY_SEP": heavy_x, "HEAVY_SEP_RUNNING": heavy,
            "METAL": metal, "MAGNET": magnet_x, "MAGNET_RUNNING": magnet,
            "MAGNET_INT": magnet_x + metal, "RECYCLE": recycle}


def _existing(vc: dict[str, float]) -> list[list]:
    cn_sep = r(CHINA_OXIDE_SHARE * WORLD_MAGNETS_2025 * NDPR_OXIDE_PER_MAGNET - CN_RECYCLED, -2)
    src("existing_plants", "CN_SEP", "capacity", cn_sep,
        f"calibration: China's 91% [D6, 2025] of the oxide in 2025's magnets, less its "
        f"{CN_RECYCLED:,} t recycled: China's 2024 separation quota 254,000 t REO [D8], {HELD}, "
        f"yields {254_000 / cn_sep:.2f} t REO per t NdPr ({cn_sep / 254_000:.1%} NdPr; Nolans "
        "33% [F11], Mountain Pass 15.7% (review row 7)); ex-China plants, dearer, run only "
        "where China's capacity ends")
    cn_magnet = src("existing_plants", "CN_MAGNET", "capacity", 500_000,
                    "[D10, 2025] China magnet capacity 'headed toward 500,000 t' (low "
                    "confidence); a 2025 figure")
    cn_metal = src("existing_plants", "CN_METAL", "capacity",
                   r(500_000 * NDPR_METAL_PER_MAGNET, -3),
                   "derived: sized to China magnet capacity 500,000 t x 0.398 t metal/t")
    cn_rec = src("existing_plants", "CN_RECYCLE", "capacity", CN_RECYCLED,
                 f"[X8, 2025] China recycled PrNd oxide 2024, {HELD}")
    lynas = src("existing_plants", "LYNAS_KUANTAN", "capacity", LYNAS_2025,
                "review row 11 (middle.news): FY25 (to June 2025) output 6,558 t NdPr, the "
                "2025 figure (Mar-Q 2025 1,509 t x 4 = 6,036 [F7] agrees)")
    lynas_ramp = src("existing_plants", "LYNAS_KUANTAN_RAMP", "capacity", 10_500 - LYNAS_2025,
                     "derived: nameplate 10,500 t/yr [F7] less 2025 output; from 2027 (EST)")
    mp_sep = src("existing_plants", "MP_MOUNTAIN_PASS", "capacity", MP_2025,
                 "review row 12 (MP Q3-2025 release): record Q3-2025 721 t NdPr x 4, the 2025 "
                 "run rate (2024: 1,294 t [F2]); a plant from 2035, when the DoD floor ends: "
                 "before, a supply row at the floor price (see supply USA/NDPR_OXIDE)")
    ef1 = src("existing_plants", "EF_WHITE_MESA_PH1", "capacity", 1_000,
              f"[F12, 2024] Phase 1 850-1,000 t/yr NdPr, complete Q1 2024; {HELD}")
    solvay = src("existing_plants", "SOLVAY_LA_ROCHELLE", "capacity", 300,
                 "[F13, 2025] 'several hundred t' in 2025 (300 EST); a 2025 figure")
    silmet = src("existing_plants", "NEO_SILMET", "capacity", r(3_000 / REO_PER_NDPR, -1),
                 "derived: 3,000 t/yr light-RE separation [F14] / 3.005 t REO per t NdPr; "
                 f"{HELD}")
    mp_metal = src("existing_plants", "MP_INDEPENDENCE_METAL", "capacity",
                   r(1_000 * NDPR_METAL_PER_MAGNET, -1),
                   "derived: metal for 1,000 t/yr magnets x 0.398 (commercial NdPr metal Jan "
                   "2025 [F3]); it feeds MP's own magnet line, so it ramps with it from 2026 "
                   "(review inconsistency 8)")
    mp_mag = src("existing_plants", "MP_INDEPENDENCE", "capacity", 1_000,
                 "[F1, F2] Independence 1,000 t/yr magnets; magnet trials in 2025 [F3], so "
                 "counted from 2026, half that year and all from 2027 (EST ramp)")
    jp_mag = src("existing_plants", "JP_MAGNET_MAKERS", "capacity", JP_MAGNETS,
                 "[D15, 2021] Japan NdFeB alloy production 12,400 t (2020) as sintered output "
                 "proxy, held for 2025 (EST 15-20 kt in 5.4; Argus <9% share [D13]): more "
                 "would put China's 2025 magnet share below the IEA's 94% [D6]")
    jp_metal = src("existing_plants", "JP_METAL", "capacity", r(_japan_metal(), -1),
                   f"calibration: the metal Japan makes from non-Chinese oxide when China has "
                   f"{JAPAN_CHINA_SHARE:.0%} of its rare-earth compound and metal imports by "
                   "volume (>2/3 2022 [D13], ~70% 2024 [D14], ~60% 2026 [D18]); its makers "
                   "buy the rest of their NdPr metal from China (EST)")
    vn_mag = src("existing_plants", "SHINETSU_VIETNAM", "capacity", 2_200,
                 f"[D22] Shin-Etsu Vietnam 2,200 t/yr end-2022 (low confidence), {HELD}")
    neo = src("existing_plants", "NEO_NARVA", "capacity", 2_000,
              "[F14, 2025] Narva phase 1 2,000 t/yr, inaugurated Sep 2025, commercial ramp "
              "2026: counted from 2026, half that year and all from 2027 (EST ramp)")
    usar = src("existing_plants", "USAR_STILLWATER", "capacity", 1_200,
               "[F16] 1,200 t/yr initial; commercial volume from 2027 (EST: first magnets "
               "2024-25)")
    noveon = src("existing_plants", "NOVEON_SAN_MARCOS", "capacity", 2_000,
                 "[F17, 2023] 2,000 t/yr built; commercial volume from 2027 (EST)")
    lynas_heavy = src("existing_plants", "LYNAS_HEAVY", "capacity", 1_500 * 0.05,
                      "derived: Lynas Malaysia heavy-RE circuit, up to 1,500 t/yr SEG-heavy feed "
                      "[F7] x ~5% Dy (review row 11): t Dy oxide/yr (+0.2 t Tb per t); first Dy "
                      "May 2025, Tb June 2025 [F7], so half of it in 2025 (EST)")
    mp_heavy = src("existing_plants", "MP_HEAVY", "capacity", lynas_heavy,
                   "EST: MP's heavy-RE separation line at Mountain Pass, funded by a 150 M USD "
                   "DoD loan [F4]; the reference gives no size, so Lynas's first circuit [F7], "
                   "the one ex-China circuit with a size (Mountain Pass ore is light-RE rich); "
                   "loan Jul 2025 + ~11-month retrofit [5.7]: from 2027, as the other plants "
                   "commissioned a year earlier")
    src("existing_plants", "(committed ramps)", "capacity", f"1/{RAMP_YEARS} a year",
        f"EST: a new plant reaches nameplate over {RAMP_YEARS} years, a third a year (MP's "
        "Mountain Pass made 1,294 t NdPr in 2024 [F2], ~2.9 kt in Q3 2025, years after its "
        "restart; Narva and Independence ramp in 2026 [F14, F3]); a ramp's rows are "
        "<plant>_<year> from its second year")
    src("existing_plants", "(ramps)", "first_year", "2026, 2027",
        "EST: plants ramping in 2025 (US 2025 output ~0: imports ~= consumption [D10, D11]) "
        "count from 2026 (commissioned, ramping) or 2027 (commercial volume then)")
    return [["plant", "technology", "country", "capacity", "fixed_om", "variable_cost",
             "first_year", "last_year"],
            ["CN_SEP", "SEP", "CHN", cn_sep, 0, vc["SEP_CN"], None, None],
            ["CN_METAL", "METAL", "CHN", cn_metal, 0, vc["METAL"], None, None],
            ["CN_MAGNET", "MAGNET", "CHN", cn_magnet, 0, vc["MAGNET_RUNNING"], None, None],
            ["CN_RECYCLE", "RECYCLE", "CHN", cn_rec, 0, vc["RECYCLE"], None, None],
            ["LYNAS_KUANTAN", "SEP", "MYS", lynas, 0, vc["SEP"], None, None],
            ["LYNAS_KUANTAN_RAMP", "SEP", "MYS", lynas_ramp, 0, vc["SEP"], 2027, None],
            ["MP_MOUNTAIN_PASS", "SEP", "USA", mp_sep, 0, vc["SEP"], FLOOR_YEARS[-1] + 1, None],
            *_ramping("LYNAS_HEAVY", "HEAVY_SEP", "MYS", lynas_heavy, vc["HEAVY_SEP_RUNNING"],
                      FIRST, 2),
            ["MP_HEAVY", "HEAVY_SEP", "USA", mp_heavy, 0, vc["HEAVY_SEP_RUNNING"], 2027, None],
            ["EF_WHITE_MESA_PH1", "SEP", "USA", ef1, 0, vc["SEP"], None, None],
            ["SOLVAY_LA_ROCHELLE", "SEP", "FRA", solvay, 0, vc["SEP"], None, None],
            ["NEO_SILMET", "SEP", "EST", silmet, 0, vc["SEP"], None, None],
            *_ramping("MP_INDEPENDENCE_METAL", "METAL", "USA", mp_metal, vc["METAL"], 2026, 2),
            *_ramping("MP_INDEPENDENCE", "MAGNET", "USA", mp_mag, vc["MAGNET_RUNNING"], 2026, 2),
            ["JP_METAL", "METAL", "JPN", jp_metal, 0, vc["METAL"], None, None],
            ["JP_MAGNET_MAKERS", "MAGNET", "JPN", jp_mag, 0, vc["MAGNET_RUNNING"], None, None],
            ["SHINETSU_VIETNAM", "MAGNET", "VNM", vn_mag, 0, vc["MAGNET_RUNNING"], None, None],
            *_ramping("NEO_NARVA", "MAGNET", "EST", neo, vc["MAGNET_RUNNING"], 2026, 2),
            *_committed(vc),
            ["USAR_STILLWATER", "MAGNET", "USA", usar, 0, vc["MAGNET_RUNNING"], 2027, None],
            ["NOVEON_SAN_MARCOS", "MAGNET", "USA", noveon, 0, vc["MAGNET_RUNNING"], 2027, None],
            *_china_growth(vc, cn_sep, cn_metal, cn_magnet, cn_rec)]


def _japan_metal() -> float:
    """Japan's metal-making capacity at which China supplies JAPAN_CHINA_SHARE of what Japan's
    magnet makers import: Chinese metal and heavy-RE oxides, the rest non-Chinese oxide."""
    metal = JP_MAGNETS * NDPR_METAL_PER_MAGNET
    heavy = JP_MAGNETS * HEAVY_PER_MAGNET
    share = JAPAN_CHINA_SHARE
    return (1 - share) * (metal + heavy) / (1 + share * (OXIDE_PER_METAL - 1))


def _ramping(plant: str, technology: str, country: str, capacity: float, cost: float,
             first: int, years: int = RAMP_YEARS) -> list[list]:
    """Existing-plant rows of a plant that starts in `first` and reaches `capacity` in equal
    steps over `years` years: the first row carries the plant's name, each later step is
    <plant>_<year>."""
    return [[plant if k == 0 else f"{plant}_{first + k}", technology, country,
             r(capacity * (k + 1) / years) - r(capacity * k / years), 0, cost, first + k, None]
            for k in range(years)]


def _committed(vc: dict[str, float]) -> list[list]:
    """Projects with their money committed, as existing plants from their first year with
    ramp-ups: their capex is spent whatever the plan does, so it is named here, not charged."""
    iluka = src("existing_plants", "ILUKA_ENEABBA", "capacity", 5_500,
                "[F10] up to 5,500 t/yr NdPr + 750 t DyTb; capex A$1.7-1.8 B (~1.14 B USD at "
                "0.65) financed by an A$1.65 B Australian government loan; committed, "
                "commissioning 2027 (review rows 13, 16): from 2027, ramping")
    ten_x = src("existing_plants", "MP_10X", "capacity", 7_000,
                "[F4] +7,000 t/yr magnets (MP total 10,000); capex ~1 B USD [F5] (low "
                "confidence) with DoD 400 M USD preferred equity, a 150 M USD loan, 100% "
                "offtake of its magnets and the 110 USD/kg NdPr floor for 10 years; "
                "commissioning 2028 [F4]: from 2028, ramping")
    vulcan = src("existing_plants", "VULCAN", "capacity", 10_000,
                 "[F15] 10,000 t/yr; 1.4 B USD package: OSC loan 620 M USD (+80 M to "
                 "ReElement), CHIPS 50 M, 550 M private, Commerce 50 M equity; announced Nov "
                 "2025, site open: magnet plant ~3 yr [5.7], from 2029, ramping (EST)")
    evac = src("existing_plants", "EVAC_SUMTER", "capacity", r(506e6 / 130_000, -2),
               "EST: e-VAC Sumter SC does not disclose its capacity [F18]; 506 M USD investment "
               "(DoD 94.1 M, 48C 111.8 M) at the vertically integrated 120-140 k USD per t/yr "
               "[5.6] (VAC makes its own alloy; the magnet-only 55 k would give 9,200 t, "
               "more than the US uses); target late fall 2025: from 2026, ramping")
    return [*_ramping("ILUKA_ENEABBA", "MINE_SEP", "AUS", iluka, vc["MINE_SEP"], 2027),
            *_ramping("MP_10X", "MAGNET_INT", "USA", ten_x, vc["MAGNET_INT"], 2028),
            *_ramping("VULCAN", "MAGNET_INT", "USA", vulcan, vc["MAGNET_INT"], 2029),
            *_ramping("EVAC_SUMTER", "MAGNET", "USA", evac, vc["MAGNET"], 2026)]


def _china_growth(vc, sep: float, metal: float, magnet: float, rec: float) -> list[list]:
    """China's aggregate capacity grows exogenously with demand: one row per year's increment
    (separation from the second year; metal and magnets once demand would exceed today's
    capacity)."""
    src("existing_plants", "CN_SEP/RECYCLE/METAL/MAGNET_<year>", "capacity",
        r(GROWTH, 4), "EST: China's aggregate capacity grows with world demand (IEA STEPS, "
        "see demand) "
        "(2024 separation quota +4.2% y/y [D8]; magnet capacity 'headed toward 500 kt' [D10])")
    rows = []
    need_magnet = WORLD_MAGNETS_2025
    for y in range(FIRST + 1, LAST + 1):
        rows.append([f"CN_SEP_{y}", "SEP", "CHN", r(grow(sep, y) - grow(sep, y - 1), -1), 0,
                     vc["SEP_CN"], y, None])
        rows.append([f"CN_RECYCLE_{y}", "RECYCLE", "CHN", r(grow(rec, y) - grow(rec, y - 1), -1),
                     0, vc["RECYCLE"], y, None])
        need = grow(need_magnet, y)
        if need > magnet:
            rows.append([f"CN_MAGNET_{y}", "MAGNET", "CHN", r(need - magnet, -2) + 100, 0,
                         vc["MAGNET_RUNNING"], y, None])
            magnet = r(need - magnet, -2) + 100 + magnet
        need_metal = need * NDPR_METAL_PER_MAGNET
        if need_metal > metal:
            rows.append([f"CN_METAL_{y}", "METAL", "CHN", r(need_metal - metal, -2) + 100, 0,
                         vc["METAL"], y, None])
            metal = r(need_metal - metal, -2) + 100 + metal
    return rows


def _sites(vc: dict[str, float]) -> list[list]:
    life = src("sites", "(all)", "lifetime", 25, "assumption: 25-year plant life (no figure "
               "in the reference)")
    lent = src("sites", "(USA, JPN)", "financing_rate", GOV_LENDING_RATE,
               "assumption: a sovereign lender's long-term rate (no rate in the reference) for "
               "the US and Japanese options: the US lends to such projects (OSC 620 M USD to "
               "Vulcan [F15], DoD 150 M USD to MP [F4]) and the US-Japan framework offers loans "
               "and guarantees for jointly selected projects, financing within 6 months [U1]; "
               "elsewhere the discount rate")
    rows = [["site", "technology", "option", "country", "capacity", "capex", "fixed_om",
             "variable_cost", "lead_time", "lifetime", "earliest_year", "latest_year",
             "financing_rate"]]

    def site(name, tech, option, country, cap, capex, lead, why_capex, why_lead,
             earliest=None, vkey=None):
        src("sites", f"{name}/{option}", "capacity", cap, why_capex.split(";")[0])
        src("sites", f"{name}/{option}", "capex", r(capex, -5), why_capex)
        src("sites", f"{name}/{option}", "lead_time", lead, why_lead)
        rows.append([name, tech, option, country, cap, r(capex, -5), 0, vc[vkey or tech],
                     lead, life,
                     earliest, None, lent if country in ("USA", "JPN") else None])

    # separation
    # China's aggregate capacity is exogenous: see the CN_*_<year> rows on existing_plants
    site("LYNAS_TEXAS", "SEP", "default", "USA", 1_250, 2 * 30.4e6, 5,
         "[F6] 1,250 t/yr NdPr; capex 2 x 30.4 M USD DPA (DoD = 50%)",
         "[F10, F6, F9] greenfield refinery ~5 yr (stalled Nov 2025)")
    site("EF_WHITE_MESA_PH2", "SEP_HRE", "default", "USA", 6_000, 410e6, 2,
         "[F12, 2026] >6,000 t/yr NdPr + 240 t Dy + 66 t Tb; capex 410 M USD",
         "[F12] approval mid-2027 -> commissioning Q1 2029: 2 yr", earliest=2027)
    site("SOLVAY_LA_ROCHELLE_EXP", "SEP", "default", "FRA", 4_200, 100e6 * USD_PER_EUR, 3,
         "[F13] target ~4,500 t/yr less 300 t running; capex ~EUR 100 M x 1.10",
         "[F12] brownfield expansion ~3 yr")
    site("US_SEP_BROWNFIELD", "SEP", "default", "USA", 5_000, 5_000 * 60_000, 3,
         "EST size; capex 60 k USD per t/yr brownfield default [5.6]",
         "[F12] brownfield expansion ~3 yr")
    site("ARAFURA_NOLANS", "MINE_SEP_LRE", "default", "AUS", 4_440,
         (1.39e9 + 0.196e9) * USD_PER_AUD, 5,
         "[F11] 4,440 t/yr NdPr + 474 t HREO; capex A$1.39 B + A$0.196 B x 0.65",
         "[5.7] greenfield separation ~5 yr (integrated with mine)")
    # metal
    metal_capex = 40e6 / 5_200
    src("sites", "(METAL)", "capex per t/yr", r(metal_capex, -2),
        "review row 17 (asm-au.com): ASM Korea metals plant 5,200 t/yr for US$35-45 M (40); "
        "replaces a difference of two magnet-plant intensities, 5-15x higher")
    site("US_METAL", "METAL", "default", "USA", 3_000, 3_000 * metal_capex, 3,
         "EST size; capex derived metal intensity [5.6]", "[5.7] magnet/metal plant ~3 yr")
    site("JP_METAL_2", "METAL", "default", "JPN", 3_000, 3_000 * metal_capex, 3,
         "EST size; capex derived metal intensity [5.6]", "[5.7] magnet/metal plant ~3 yr")
    # magnets
    site("USAR_STILLWATER_EXP", "MAGNET", "default", "USA", 3_600, 3_600 * 55_000, 2,
         "[F16] 1,200 -> 4,800 t/yr nameplate; capex 55 k USD per t/yr magnet-only [5.6]",
         "[F14, F18] magnet plant ~2-2.5 yr")
    site("NOVEON_EXP", "MAGNET", "default", "USA", 8_000, 8_000 * 55_000, 5,
         "[F17] 2,000 -> 10,000 t/yr; capex 55 k USD per t/yr magnet-only [5.6]",
         "[F17] target in 5-7 years: 5 yr")
    site("NEO_NARVA_PH2", "MAGNET", "default", "EST", 3_000,
         (250e6 - 100e6) * USD_PER_EUR, 2,
         "[F14] 2,000 -> 5,000 t/yr; capex EUR 250 M with expansion - EUR 100 M phase 1",
         "[F14] construction 2023 -> Sep 2025: ~2 yr")
    site("JP_MAGNET_EXP", "MAGNET", "small", "JPN", 2_000, 2_000 * 55_000, 3,
         "EST size; capex 55 k USD per t/yr magnet-only [5.6]", "[5.7] magnet plant 3 yr")
    site("JP_MAGNET_EXP", "MAGNET", "large", "JPN", 5_000, 5_000 * 55_000, 3,
         "EST size; capex 55 k USD per t/yr magnet-only [5.6]", "[5.7] magnet plant 3 yr")
    # generic second expansions at the reference's default intensities, so that demand growth
    # to 2040 can be met outside China if a policy asks for it
    site("US_SEP_BROWNFIELD_2", "SEP", "default", "USA", 5_000, 5_000 * 60_000, 3,
         "EST size; capex 60 k USD per t/yr brownfield default [5.6]",
         "[F12] brownfield expansion ~3 yr", earliest=2030)
    for name, country in (("US_METAL_2", "USA"), ("JP_METAL_3", "JPN")):
        site(name, "METAL", "default", country, 3_000, 3_000 * metal_capex, 3,
             "EST size; capex derived metal intensity [5.6]", "[5.7] magnet/metal plant ~3 yr",
             earliest=2030)
    for name, country in (("US_MAGNET_GEN", "USA"), ("JP_MAGNET_EXP_2", "JPN")):
        site(name, "MAGNET", "default", country, 5_000, 5_000 * 55_000, 3,
             "EST size; capex 55 k USD per t/yr magnet-only [5.6]", "[5.7] magnet plant 3 yr",
             earliest=2030)
    # recycling
    site("US_RECYCLE", "RECYCLE", "default", "USA", 1_000, 1_000 * 20_000, 1,
         "EST size; capex 20 k USD per t/yr (separation retrofit intensity [5.6], assumption)",
         "[F7] retrofit-like circuit ~1 yr (assumption)")
    site("JP_RECYCLE", "RECYCLE", "default", "JPN", 1_000, 1_000 * 20_000, 1,
         "EST size; capex 20 k USD per t/yr (separation retrofit intensity [5.6], assumption)",
         "[F7] retrofit-like circuit ~1 yr (assumption)")
    return rows


def _supply() -> list[list]:
    price = src("supply", "CONC", "price", r(CONC_PRICE, -1),
                f"derived: US 2024 mine output value 260 M USD / 45,000 t REO [D1], {HELD}")
    dy_price = src("supply", "CHN/DY_OXIDE", "price", DY_PRICE,
                   "[P6] Adamas: ~96% of 2025 global Dy oxide volume priced at 224 USD/kg on "
                   "average; China sells without limit (its ~99% of heavy separation)")
    tb_price = src("supply", "CHN/TB_OXIDE", "price", TB_PRICE,
                   "[P7] China Tb oxide 6.58-6.62 M CNY/t, Nov 2025, ~925 USD/kg (EST "
                   "conversion)")
    rows = [["country", "material", "year", "max_quantity", "price"]]
    for country, qty, why in (
            ("CHN", 270_000, "[D1] China 2024 mine output 270,000 t REO"),
            ("USA", 45_000, "[D1] US 2024 mine output 45,000 t REO"),
            ("AUS", 13_000, "[D1] Australia 2024 13,000 t REO"),
            ("VNM", 300, "[D3] Vietnam ~300 t REO"),
            ("MYS", 130, "[D3] Malaysia ~130 t REO"),
            ("IND", INDIA_MINES, "[D1] India 2024 mine output 2,900 t REO"),
            ("ROW", 31_000 + 13_000 + 13_000 + 2_500 + 2_000 + 20,
             "derived: 2024 Myanmar 31,000 + Nigeria 13,000 + Thailand 13,000 + Russia 2,500 "
             "+ Madagascar 2,000 + Brazil 20 [D1, D3]")):
        qty = src("supply", f"{country}/CONC", "max_quantity (2025)", qty, f"{why}, {HELD}")
        most = US_UPSTREAM if country == "USA" else math.inf
        rows += [[country, "CONC", y, r(min(grow(qty, y), most)), price] for y in YEARS]
    src("supply", "(all CONC)", "max_quantity growth", r(GROWTH, 4),
        "EST: mines exogenous [5.7], growing with demand (IEA STEPS, see demand; review row "
        "2, inconsistency 9: not 8.7%/yr everywhere); the US to MP's 'Upstream 60K' [F2] at "
        "most")
    rows += [["CHN", "DY_OXIDE", None, None, dy_price], ["CHN", "TB_OXIDE", None, None, tb_price]]
    rows += _price_floor()
    scrap_price = src("supply", "SCRAP", "price", 3_000,
                      "assumption: collected scrap price (no figure in the reference)")
    cn_scrap = src("supply", "CHN/SCRAP", "max_quantity", r(CN_RECYCLED * SCRAP_PER_NDPR, -2),
                   "derived: China recycled PrNd oxide 26,504 t 2024 [X8] x 2.88 t scrap per t, "
                   "held for 2025, growing with China's output")
    rows += [["CHN", "SCRAP", y, r(grow(cn_scrap, y)), scrap_price] for y in YEARS]
    for country, output, first in (("USA", 1_000, 2026), ("JPN", JP_MAGNETS, FIRST)):
        swarf = src("supply", f"{country}/SCRAP", "max_quantity", r(SWARF_PER_MAGNET * output),
                    f"derived: the swarf of {output:,} t/yr magnet making from {first}: 0.35 t "
                    "per t (the 1.35 gross-up, 26% of alloy; scrap ~25-30% of output [X8]); "
                    "review row 20: not 25% of consumption; end-of-life scrap not modelled")
        rows += [[country, "SCRAP", y, swarf, scrap_price] for y in YEARS if y >= first]
    return rows


def _price_floor() -> list[list]:
    """MP's NdPr oxide under the DoD floor: what the US pays for it, as a supply row in each
    floor year (Mountain Pass is a plant again after it)."""
    mp = MP_2025
    floor = src("supply", "USA/NDPR_OXIDE", "price", NDPR_FLOOR,
                "[F4, P10] DoD price floor 110 USD/kg for MP's NdPr for 10 years from Q4 2025 "
                f"(2025-{FLOOR_YEARS[-1]} here): what the US pays for Mountain Pass's oxide, "
                f"up to its 2025 run rate {mp:,} t/yr (721 t in Q3 2025 x 4, review row 12); "
                "MP's concentrate stays on the US supply row (its mine makes more than its "
                "separation uses)")
    above = (NDPR_FLOOR - NDPR_OXIDE_PRICE) * mp
    discounted = sum(above / (1 + DISCOUNT_RATE) ** (y - FIRST) for y in FLOOR_YEARS)
    src("supply", "USA/NDPR_OXIDE", "floor cost above market", r(above * len(FLOOR_YEARS), -6),
        f"derived: (110,000 - {NDPR_OXIDE_PRICE:,.0f} China's NdPr price in the workbook) USD/t "
        f"x {mp:,} t/yr = {above / 1e6:,.1f} M USD/yr if MP sells all its output under the "
        f"floor; x {len(FLOOR_YEARS)} years = {above * len(FLOOR_YEARS) / 1e9:,.2f} B USD, "
        f"{discounted / 1e9:,.2f} B USD discounted at 7% to 2025 (review: ~100-300 M USD/yr)")
    return [["USA", "NDPR_OXIDE", y, mp, floor] for y in FLOOR_YEARS]


def _routes() -> list[list]:
    near = src("routes", "PARTNERS<->PARTNERS, ->CHINA, ROW", "transport_cost", 400,
               "assumption: freight per t, as inputs/example.py (no figure in the reference); "
               "ROW, which has no plants, ships its mines' concentrate only")
    wedge = src("routes", "CHINA->PARTNERS, ROW", "transport_cost", WEDGE,
                "calibration: freight 400 + 600 USD/t export licensing, so that the magnet "
                "makers outside China run as in 2025 ([D6] 94% share)")
    src("routes", "(all)", "tariff", 0,
        "US Section 301 duty of 25% on Chinese permanent magnets from 1 Jan 2026 (USTR "
        "four-year review, final 13 Sep 2024; Pillsbury via globaltradeandsanctionslaw.com), "
        f"~{0.25 * MAGNET_COST:,.0f} USD/t at the derived magnet cost, is not applied: a "
        "route's tariff is paid per shipment, not by origin, so the plan sends Chinese magnets "
        "to the US through Korea or Vietnam for 400 USD/t of freight instead (as a CHN->USA "
        "route tariff does here); an origin-based tariff is not in the schema. No other "
        "tariff on these routes was found")
    return [["from_country", "to_country", "material", "transport_cost", "tariff"],
            ["CHINA", "PARTNERS", None, wedge, 0], ["CHINA", "ROW", None, wedge, 0],
            ["PARTNERS", "CHINA", None, near, 0], ["PARTNERS", "PARTNERS", None, near, 0],
            ["ROW", "CHINA", "CONC", near, 0], ["ROW", "PARTNERS", "CONC", near, 0],
            ["PARTNERS", "ROW", None, near, 0], *_asia_partner_routes(wedge, near)]


def _asia_partner_routes(wedge: float, near: float) -> list[list]:
    """Korea and India buy anything from China, and from the other partners what their use
    and plants take; they sell Korea's magnets and India's oxide."""
    src("routes", "ASIA_PARTNERS (KOR, IND)", "material",
        "NDFEB, NDPR_METAL, DY_OXIDE, TB_OXIDE in; NDFEB (KOR), NDPR_OXIDE (IND) out",
        "assumption: the partners' routes carry only what their use and plants need, at the "
        "freight and wedge above; every further route multiplies the model's flows")
    return [["CHINA", "ASIA_PARTNERS", None, wedge, 0],
            *[["PARTNERS", "ASIA_PARTNERS", m, near, 0]
              for m in ("NDFEB", "NDPR_METAL", "DY_OXIDE", "TB_OXIDE")],
            ["KOR", "PARTNERS", "NDFEB", near, 0], ["IND", "PARTNERS", "NDPR_OXIDE", near, 0]]


def _demand() -> list[list]:
    src("demand", "(all)", "growth", r(GROWTH, 4),
        "IEA GCMO-2025 STEPS: rare-earth demand +50-60% by 2040 (review row 2): 1.55 over "
        "2024-2040, ~2.8%/yr. Adamas' 8.7% CAGR [D23] is not a sweep: the sweeps sheet sets or "
        "scales one column, and a growth path is no such change")
    world = src("demand", "world NDFEB 2025", "quantity", r(WORLD_MAGNETS_2025, -2),
                "derived: 230,000 t (220-240 kt 2024 [D10]) brought to 2025 by one year's "
                "growth")
    us = src("demand", "USA/NDFEB", "quantity (2025)", r(US_MAGNETS_2025, -1),
             "EST 7,500-8,000 t in 2025 (5.4; midpoint), US output ~0 so imports: between "
             "7,446 t China-origin imports 2024 [D11] and 7,446 / (45.4/53.6) = 8,790 t, "
             "China's share of Q1 import value [D12] (a value share: China's magnets are the "
             "cheaper, so its volume share is higher)")
    jp = src("demand", "JPN/NDFEB", "quantity (2025)", JP_DEMAND,
             "review row 4 (UBS via CNA, Jan 2026): ~23 kt, Japan's half of the ~20% made "
             "outside China, taken as what Japan uses; its makers' 12,400 t [D15] and imports "
             "serve it (2026 figure for 2025)")
    eu = src("demand", "EU/NDFEB", "quantity (2025)", r(EU_MAGNETS, -2),
             "review row 5: mean of Neo's 2 kt ~10% of EU demand (mademagnet, Sep 2025) and "
             "EU ~30 kt (Mandiner, 2026); split EST 50/50 FRA/EST")
    partners = _partner_demand()
    rest = src("demand", "ROW/NDFEB", "quantity (2025)",
               r(CN_MAGNET_EXPORTS + JP_MAGNETS + 2_200 - us - jp - eu - sum(partners.values()),
                 -2),
               "derived: China's 2024 magnet exports 58,152 t (Adamas/GACC, review row 6; held "
               "for 2025) less the US, Japanese, EU, Korean, Indian and Vietnamese use not met "
               "by Japan's and Shin-Etsu Vietnam's 14,600 t: other importers")
    cn = src("demand", "CHN/NDFEB", "quantity (2025)",
             r(world - us - jp - eu - sum(partners.values()) - rest, -2),
             "derived: world 2025 less USA, Japan, EU, Korea, India, Vietnam and the rest of "
             "the world")
    rows = [["country", "material", "year", "quantity"]]
    for c, q in (("USA", us), ("JPN", jp), ("FRA", eu / 2), ("EST", eu / 2),
                 *partners.items(), ("ROW", rest), ("CHN", cn)):
        rows += [[c, "NDFEB", y, r(grow(q, y))] for y in YEARS]
    return rows


# USD per t held: what a tonne of stock costs to replace (metal at the oxide it contains)
STOCK_VALUE = {"NDPR_OXIDE": NDPR_OXIDE_PRICE, "NDPR_METAL": NDPR_OXIDE_PRICE * OXIDE_PER_METAL,
               "DY_OXIDE": DY_PRICE, "TB_OXIDE": TB_PRICE, "NDFEB": MAGNET_COST}
HOLDING_RATE = 0.08                      # of the value per year [5.10 default]


def _partner_demand() -> dict[str, float]:
    """Korea's, India's and Vietnam's magnet use in 2025, carved out of the rest of the world."""
    india = src("demand", "IND/NDFEB", "quantity (2025)", r(1_744e7 / 85 / MAGNET_COST, -2),
                "derived: India's FY25 permanent-magnet imports were worth Rs 1,744 crore "
                "(53,700 t, 93% from China; Indian Express via daily8.com, 2025) / 85 INR per "
                "USD (assumption) / the derived NdFeB magnet cost: the NdFeB they can hold at "
                "most, the rest of the tonnage being ferrite; India makes no NdFeB")
    korea = src("demand", "KOR/NDFEB", "quantity (2025)", 5_000,
                "assumption: no figure in the reference; Korea's motor, EV and electronics "
                "makers import nearly all their magnets")
    vietnam = src("demand", "VNM/NDFEB", "quantity (2025)", 1_000,
                  "assumption: no figure in the reference; Vietnam's assembly plants (Shin-Etsu "
                  "Vietnam's output is counted as exported)")
    return {"KOR": korea, "IND": india, "VNM": vietnam}


def _partner_plants(vc: dict[str, float]) -> list[list]:
    """Partners' plants: India's and Vietnam's separation of their own mines' output, Korea's
    magnet makers."""
    irel = src("existing_plants", "IREL_INDIA", "capacity", r(INDIA_MINES / REO_PER_NDPR, -1),
               "derived: IREL separates India's 2,900 t REO [D1] at home (EST) / 3.005 t REO "
               "per t NdPr")
    vtre = src("existing_plants", "VIETNAM_SEP", "capacity", r(300 / REO_PER_NDPR, -1),
               "derived: Vietnam's ~300 t REO [D3] separated at home (Vietnam Rare Earth JSC, "
               "EST) / 3.005 t REO per t NdPr")
    korea = src("existing_plants", "KOREA_MAGNET_MAKERS", "capacity", 1_000,
                "assumption: no figure in the reference; Korea's sintered-magnet makers (e.g. "
                "Star Group) are small. Its metal plant (KSM Metals, 5,200 t/yr, review row 17) "
                "is left out: its 2025 output is not known")
    return [["IREL_INDIA", "SEP", "IND", irel, 0, vc["SEP"], None, None],
            ["VIETNAM_SEP", "SEP", "VNM", vtre, 0, vc["SEP"], None, None],
            ["KOREA_MAGNET_MAKERS", "MAGNET", "KOR", korea, 0, vc["MAGNET_RUNNING"], None, None]]


def _stockpiles(policy: bool) -> list[list]:
    src("stockpiles", "(all)", "holding_cost", HOLDING_RATE,
        "derived: 8%/yr [5.10 default] of each material's value: NdPr, Dy and Tb oxide at "
        "their 2025 prices, metal at the oxide it contains, magnets at the derived magnet "
        "cost. JOGMEC subsidises interest and warehousing [G15]; Project Vault's "
        "manufacturers pay the carrying costs [G14]: the payer differs, the cost is counted "
        "once either way")
    src("stockpiles", "(all)", "end_value", "the value above",
        "review inconsistency 10: stock left in 2040 (up to its floor) is credited at "
        "replacement value instead of zero")
    rows = [["country", "material", "initial", "capacity", "holding_cost", "min_cover_days",
             "max_release", "end_value", "min_level"], *_jogmec_stocks(), _nds_stock()]
    if policy:
        us_cap = src("stockpiles", "USA/NDFEB", "capacity",
                     r(60 / 365 * grow(r(US_MAGNETS_2025, -1), LAST) + 50, -2),
                     "derived: Project Vault (announced 2 Feb 2026; 12 B USD: 10 B Ex-Im loan "
                     "+ 1.67 B private) aims at 60 days of emergency supply for manufacturers "
                     "[G14]: 60 days of 2040 US demand (rounded up); held as magnets, what US "
                     "manufacturers use (US magnet making is ~0 in 2025); initial 0")
        src("stockpiles", "USA/NDFEB", "min_cover_days", 60, "[G14] Project Vault 60 days")
        rows.append(_stock_row("USA", "NDFEB", 0, us_cap, cover_days=60))
    src("stockpiles", "JPN <-> USA", "(framework)", "own stocks, shared routes",
        "[U1] US-Japan framework (28 Oct 2025): 'consider a mutually complementary "
        "stockpiling arrangement'. The schema has no pooled stock, so each country keeps its "
        "own stocks and floors; a release in one may ship to the other over the PARTNERS "
        "routes during a cut. Not modelled: a shared floor, pre-agreed release conditions "
        "[G19], sharing of costs")
    return rows


def _stock_row(country: str, material: str, initial: float, capacity: float,
               cover_days: int | None = None, min_level: float | None = None) -> list:
    value = STOCK_VALUE[material]
    return [country, material, initial, capacity, r(HOLDING_RATE * value, -2), cover_days,
            None, r(value, -2), min_level]


def _jogmec_stocks() -> list[list]:
    """Japan's stocks in JOGMEC's form: the oxide its metal plant uses, the metal its magnet
    makers buy and their Dy and Tb oxide; a floor of 60 days, room for 180."""
    metal_made = r(_japan_metal(), -1)
    use = {"NDPR_OXIDE": metal_made * OXIDE_PER_METAL,
           "NDPR_METAL": JP_MAGNETS * NDPR_METAL_PER_MAGNET - metal_made,
           "DY_OXIDE": JP_MAGNETS * DY_PER_MAGNET,
           "TB_OXIDE": JP_MAGNETS * TB_PER_MAGNET}
    src("stockpiles", "JPN/(NDPR_OXIDE, NDPR_METAL, DY_OXIDE, TB_OXIDE)", "min_level",
        "60 days of use",
        "[G15] JOGMEC: 60 days of standard consumption (42 national + 18 private), held as "
        "oxides and metals (review row 18); a floor in tonnes, as Japan demands magnets, not "
        f"these: the use of its {JP_MAGNETS:,} t/yr of magnet making [D15]. Levels are "
        "secret [G16]: the target is taken as met in 2025 (initial = floor)")
    rows = []
    for material, per_year in use.items():
        floor = src("stockpiles", f"JPN/{material}", "min_level", r(60 / 365 * per_year),
                    f"derived: 60 days [G15] x {per_year:,.0f} t/yr used")
        cap = src("stockpiles", f"JPN/{material}", "capacity",
                  r(180 / 365 * grow(per_year, LAST), -1),
                  "derived: up to 180 days for high-risk metals [G17] of the use grown to 2040")
        rows.append(_stock_row("JPN", material, floor, cap, min_level=floor))
    return rows


def _nds_stock() -> list:
    """The US National Defense Stockpile's heavy rare earths, sized by a purchase Congress
    marked; what it holds and aims at is not public, so it starts empty with no floor."""
    cap = src("stockpiles", "USA/DY_OXIDE", "capacity", r(41e6 / DY_PRICE, -1),
              "derived: National Defense Stockpile [G7]: the FY2014 House NDAA mark of 41 M USD "
              "to stockpile Dy metal among others [G10a] at the Dy oxide price. Initial "
              "0 and no floor: its NdPr/Dy/Tb goals and holdings are not public [G7] (912.3 M "
              "USD of ~50 materials, Mar 2023), so the plan decides whether to fill it")
    return _stock_row("USA", "DY_OXIDE", 0, cap)


def _limits() -> list[list]:
    src("dependence_limits", "USA, JPN <- CHINA", "max_share", "0.5 (2030-34), 0.2 (2035+)",
        "policy case from the brief; precedent EU CRMA <=65% from one country [G20]")
    src("dependence_limits", "DY_OXIDE, TB_OXIDE", "max_share", "none",
        "no limit of their own: under origin_rule 'content' a magnet made with any Chinese Dy "
        "or Tb counts as Chinese, so the magnet limits already cap the heavies in the magnets "
        "the US and Japan use, which is all they use them for; a Dy/Tb row would only repeat "
        "that for their own makers and add rows, and the policy question is the share of "
        "magnets and NdPr oxide")
    rows = [["consumer", "supplier", "material", "year", "max_share"]]
    for consumer in ("USA", "JPN"):
        for material in ("NDPR_OXIDE", "NDFEB"):
            for y in range(2030, LAST + 1):
                rows.append([consumer, "CHINA", material, y, 0.5 if y < 2035 else 0.2])
    return rows


# China's short licensing cut, as in April 2025: once the suspension ends, then every third
# year (EST)
RECURRING_YEARS = (2027, 2030, 2033, 2036, 2039)


def _scenarios() -> tuple[list[list], list[list]]:
    src("disruptions", "(all)", "reference", "the reference plan",
        "each magnet cut is measured against China's exports in the reference plan "
        "(existing plants, no limits, no cuts), so no plan raises its own allowance (review "
        "inconsistency 1); the Dy and Tb cuts against China's 2025 exports (below)")
    src("disruptions", "(all)", "from_year", "2026 (Japan), 2027 (others)",
        "the ban aimed at Japan came in Jan 2026 (review row 19); the October 2025 controls "
        "are suspended to 10 Nov 2026 [E4], so the others start in 2027: a cut in 2025 would "
        "contradict the year of record")
    short = src("disruptions", "cn_apr2025_recurring", "cut NDFEB", r(0.74 * 2 / 12, 3),
                "derived: China's magnet exports fell 74% y/y in May 2025 under the April "
                "licensing and recovered by July (Kitco, review row 19): about two months of "
                "exports lost, 0.74 x 2/12 of the year the model steps by")
    heavy = src("disruptions", "cn_apr2025_recurring", "cut DY_OXIDE, TB_OXIDE", 0.365,
                "derived: 2025 China exports Dy -35%, Tb -38% (mean) under the April 2025 "
                "licensing [E1, E5]")
    deep = src("disruptions", "cn_oct2025_2027_29, cn_jan2026_japan", "cut", 0.95,
               "[E5] Dy shipments to Japan -95% in 2025; the October 2025 controls add Ho, Er, "
               "Tm, Eu, Yb, equipment and the 0.1% rule [E2, E3]; the 0.1% rule on magnets "
               "made outside China is not modelled. The ban's depth for magnets is "
               "an assumption: the sweeps sheet varies it (japan_ban_depth). A ban aimed at "
               "Japan limits China's shipments to Japan only: re-exports through partners "
               "are not stopped")
    src("disruptions", "cn_apr2025_recurring", "from_year",
        ", ".join(map(str, RECURRING_YEARS)),
        "EST: China acted four times in 2023-26 (review, section 2: Ga/Ge 2023, Apr 2025, Oct "
        "2025, Jan 2026); an April-like cut when the suspension ends [E4], then every third "
        "year (one scenario, so as not to multiply the model)")
    scen = [["scenario", "probability", "description"]]
    for name, p, sweep, text in (
            ("cn_apr2025_recurring", 0.2, "apr_like_probability",
             "April-2025-like licensing in " + ", ".join(map(str, RECURRING_YEARS))
             + ": each a short deep magnet cut (~2 months), heavy-RE exports -37% for the "
             "year"),
            ("cn_oct2025_2027_29", 0.1, "oct_like_probability",
             "October-2025 controls back when the suspension ends: Dy and Tb oxide and magnet "
             "exports -95% for 2027-2029"),
            ("cn_jan2026_japan", 0.1, "japan_ban_probability",
             "the January-2026 ban aimed at Japan: exports to Japan -95% in 2026-2027")):
        scen.append([name, src("scenarios", name, "probability", p,
                               f"assumption: no probability in the reference (review row 19); "
                               f"swept on the sweeps sheet ({sweep})"), text])
    everyone, japan = _heavy_references()
    dis = [["scenario", "supplier", "material", "from_year", "to_year", "cut", "to_country",
            "reference"]]
    for mat, cut in (("DY_OXIDE", heavy), ("TB_OXIDE", heavy), ("NDFEB", short)):
        dis += [["cn_apr2025_recurring", "CHINA", mat, y, y, cut, None, everyone.get(mat)]
                for y in RECURRING_YEARS]
    for mat in ("DY_OXIDE", "TB_OXIDE", "NDFEB"):
        dis.append(["cn_oct2025_2027_29", "CHINA", mat, 2027, 2029, deep, None,
                    everyone.get(mat)])
        dis.append(["cn_jan2026_japan", "CHINA", mat, 2026, 2027, deep, "JPN", japan.get(mat)])
    return scen, dis


# China's Dy and Tb oxide exports in 2025 (to everyone, to Japan), t: the calibration's trade
CHINA_HEAVY_EXPORTS_2025 = {"DY_OXIDE": (121, 99), "TB_OXIDE": (41, 38)}


def _heavy_references() -> tuple[dict[str, float], dict[str, float]]:
    """What the Dy and Tb cuts are measured against: China's exports in the year of record.
    The reference plan has none from 2027, when Iluka's committed heavy circuit covers the use
    outside China, and a cut of nothing would forbid any export: an embargo by accident."""
    for mat, (everyone, japan) in CHINA_HEAVY_EXPORTS_2025.items():
        src("disruptions", mat, "reference", f"{everyone} t (to JPN: {japan} t)",
            "derived: China's exports in 2025 in the calibration (no limits, cuts or builds; "
            "tests/test_base_case.py checks them), as [E5]'s -35%/-38% for 2025 are measured "
            "against a year of exports. The reference plan exports none from 2027 (Iluka's "
            "committed heavy circuit covers the use outside China), which would make any cut "
            "an embargo")
    return ({m: e for m, (e, _) in CHINA_HEAVY_EXPORTS_2025.items()},
            {m: j for m, (_, j) in CHINA_HEAVY_EXPORTS_2025.items()})


def _sweeps() -> list[list]:
    """What `optimizer sweep inputs/base_case.xlsx` runs: a tornado of the most uncertain
    inputs over ranges that bracket the reference's spread, and the cost-of-independence
    frontier of the USA's long-run magnet limit. Demand varies in Japan only: 60 days of any
    US magnet demand above the 2040 projection no longer fit the Project Vault capacity, so
    such a run is infeasible (the sweep would say so, naming the stockpile row)."""
    src("sweeps", "shortage_cost", "values", "0.5, 3 x",
        "no figure prices unmet magnets (review row 19: unsourced and low; Ford idled plants "
        "for weeks, cbtnews): the shortage cost is swept from half to three times, not guessed")
    return [["sweep", "sheet", "column", "where", "mode", "values"],
            ["china_prices", "supply", "price", "country=CHN", "scale", "0.8,1.2"],
            ["capex", "sites", "capex", None, "scale", "0.7,1.3"],
            ["japan_demand", "demand", "quantity", "country=JPN", "scale", "0.9,1.1"],
            ["holding_cost", "stockpiles", "holding_cost", None, "scale", "0.5,1.5"],
            ["long_cut_depth", "disruptions", "cut", "scenario=cn_oct2025_2027_29", "set",
             "0.8,1"],
            ["japan_ban_depth", "disruptions", "cut", "scenario=cn_jan2026_japan; material=NDFEB",
             "set", "0.5,1"],
            ["apr_like_probability", "scenarios", "probability",
             "scenario=cn_apr2025_recurring", "set", "0.1,0.4"],
            ["oct_like_probability", "scenarios", "probability", "scenario=cn_oct2025_2027_29",
             "set", "0.05,0.2"],
            ["japan_ban_probability", "scenarios", "probability", "scenario=cn_jan2026_japan",
             "set", "0.05,0.3"],
            ["shortage_cost", "materials", "shortage_cost", "material=NDFEB", "scale", "0.5,3"],
            ["usa_magnet_limit", "dependence_limits", "max_share",
             "consumer=USA; material=NDFEB; max_share=0.2", "set", "0.4,0.3,0.2,0.1"]]


def _scope() -> None:
    """What the case leaves out, and why, as `sources` rows (sheet `(scope)`)."""
    for key, text in (
            ("thrifting", "not modelled: every year uses 2025's recipe (10.2 kg Dy2O3 + 3.1 kg "
             "Tb4O7 per t of magnet). Makers cut heavy rare earths (Proterial ~1/10 of its "
             "2000 level, Daido's heavy-free magnets; review section 3 item 7), so later "
             "years' Dy/Tb use and the heavy cuts' weight are upper bounds"),
            ("Ga, Ge, Sb, graphite", "other chains, not this case: the tool is not specific to "
             "rare earths (inputs/graphite.xlsx is the anode chain); gallium, germanium and "
             "antimony would each be a workbook of their own (review section 3 item 6)"),
            ("SmCo magnets, Sm", "not modelled: samarium-cobalt magnets for defence and "
             "samarium (in Nolans' mixed SEG-heavy by-product) are not materials of this "
             "case; NdFeB carries the limits and the cuts"),
            ("metal, equipment, technology controls", "not modelled: the October 2025 controls "
             "also cover equipment, technology and the 0.1% rule [E2, E3]; the cuts here limit "
             "shipments of magnets and Dy/Tb oxide, and new plants outside China are built at "
             "their announced cost and lead time"),
            ("MP 10X offtake, EBITDA guarantee", "not modelled: the DoD's 100% offtake of 10X's "
             "magnets [F4] and its 140 M USD/yr EBITDA guarantee (review section 3 item 3) "
             "have no column (no plant has a minimum output): the plan runs 10X only where it "
             "is cheapest, and the guarantee's fiscal cost is not in the plan's cost; the "
             "110 USD/kg floor is (the USA's NdPr oxide supply row)")):
        src("(scope)", key, "(not modelled)", "-", text)


def sheets(policy: bool = True, disruptions: bool = True) -> dict[str, list[list]]:
    del SOURCES[1:]
    vc = _variable_costs()
    out = {"settings": _settings(), "countries": COUNTRIES, "groups": GROUPS,
           "materials": _materials(), "technologies": TECHNOLOGIES, "recipes": _recipes(),
           "existing_plants": [*_existing(vc), *_partner_plants(vc)], "sites": _sites(vc),
           "supply": _supply(),
           "routes": _routes(), "demand": _demand(), "stockpiles": _stockpiles(policy)}
    if policy:
        out["dependence_limits"] = _limits()
    if disruptions:
        out["scenarios"], out["disruptions"] = _scenarios()
    if policy and disruptions:
        out["sweeps"] = _sweeps()
    _scope()
    out["sources"] = [list(row) for row in SOURCES]
    return out


if __name__ == "__main__":
    write_sheets(Path(__file__).with_name("base_case.xlsx"), sheets())
