"""Writes inputs/graphite.xlsx: the bundled battery-anode graphite case.

The 2024-25 world carried into a 2026-2035 horizon: mined natural flake graphite -> spherical
purified graphite (SPG, with spheronisation fines as a by-product that is disposed of at a
cost) -> coated natural anode material; synthetic anode material from needle coke; both meet
the demand of battery cell makers for anode material (ANODE), and mined flake also meets the
demand of industrial users (refractories, foundries, lubricants). Every figure has a row on the
`sources` sheet: the publication, its year and address, or "assumption: why".

    python inputs/graphite.py

`sheets(policy=True, disruptions=True, builds=True)` returns the rows; `policy=False` drops the
dependence limits and the stockpiles, `disruptions=False` China's export-control scenarios and
`builds=False` the candidate sites. The calibration test solves all three False.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.excel.sheets import write_sheets

FIRST, LAST = 2026, 2035
YEARS = range(FIRST, LAST + 1)

# --- sources (publication, year of record, address) -------------------------------------------
USGS = ("USGS Mineral Commodity Summaries 2025, Graphite (natural), 2024 estimates, "
        "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-graphite.pdf (as tabulated by "
        "StatRanker 2025, https://statranker.org/?p=3927)")
IEA_AFRICA = ("IEA Global Critical Minerals Outlook 2025 (2024 figures), via Ecofin Agency "
              "23 May 2025, https://www.ecofinagency.com/news-industry/2305-46964-africa-s-"
              "graphite-output-falls-30-in-2024-due-to-mine-disruptions-iea")
SNE = ("SNE Research 2024 anode figures, via Korea Bizwire 22 May 2025, "
       "http://koreabizwire.com/chinese-firms-dominate-global-anode-market-as-posco-future-m-"
       "falls-out-of-top-10")
IEA_GROWTH = ("IEA Global Critical Minerals Outlook 2025, baseline: graphite demand +50-75% "
              "2024-2030, via Statista 2025, https://www.statista.com/chart/35397/")
PRICES = ("BH Carbons 2024 graphite price table, https://www.bhcarbons.com/graphite-market-"
          "pricing-dynamics-and-mechanisms")
NAT_ANODE_PRICE = ("PMarketResearch 2025: natural graphite anode 5,000-7,000 USD/t, "
                   "https://pmarketresearch.com/chemi/graphite-anode-materials-for-lithium-ion"
                   "-batteries-market")
SYRAH = ("Syrah Resources, Vidalia 11.25 ktpa AAM production start, 9 Feb 2024, "
         "https://www.natchezdemocrat.com/2024/02/09/syrah-resources-announces-start-of-aam-"
         "production-in-vidalia/")
SYRAH_DFS = ("Syrah Resources Vidalia expansion DFS (to 45 ktpa), 27 Apr 2023, "
             "https://www.hannapub.com/concordiasentinel/news/local_state_headlines/syrah-"
             "features-robust-definitive-feasibility-study-for-expansion/article_f0c03e7c-e5d2-"
             "11ed-b95f-771eca90fcfb.html")
NOVONIX = ("Novonix DOE conditional loan, 16 Dec 2024 (Riverside 20 ktpa; new Chattanooga "
           "plant 31,500 tpa, full production end 2028), https://manufacturingdive.com/news/"
           "novonix-secures-755m-doe-loan-tennessee-synthetic-graphite-facility/736073")
NOVONIX_TARGET = ("Novonix target of 150,000 tpa synthetic graphite in North America, "
                  "Metals Wire Dec 2024, https://metalswire.net/commodities/novonix-secures-"
                  "conditional-loan-for-us-graphite-facility")
NOVONIX_CAPEX = ("DOE document on Novonix's proposed ~1 billion USD, 30,000 t/yr Chattanooga "
                 "plant, Times Free Press 23 Aug 2023, https://www.timesfreepress.com/news/2023/"
                 "aug/23/department-of-energy-document-says-novonix-eyes/")
POSCO_SPG = ("POSCO Future M Saemangeum spherical graphite plant, 37,000 t/yr, 436.1 bn KRW "
             "(321.3 M USD), completion 2027, Korea Herald 6 Jun 2025, "
             "https://www.koreaherald.com/article/10503706")
POSCO_NAM = ("POSCO Future M natural anode capacity 74 ktpy -> 182 ktpy by 2030; synthetic 18 "
             "ktpy end-2024; Mahenge offtake 60 ktpy, AInvest 1 May 2025, https://www.ainvest."
             "com/news/posco-graphite-plant-strategic-pivot-secure-ev-supply-chains-2505")
NMG = ("Nouveau Monde Graphite feasibility: Matawinie 103,328 t/yr concentrate; Becancour "
       "63,775 t/yr concentrate -> 42,616 t coated SPG + 3,007 t flakes + 18,384 t fines, "
       "Mining Weekly 21 Apr 2023, https://www.miningweekly.com/print-version/matawinie-phase-"
       "2-graphite-project-and-bcanour-phase-2-battery-material-plant-canada-update-2023-04-21")
FASTMARKETS = ("Fastmarkets, China's graphite exports plunge in December (2023) after export "
               "controls, https://www.fastmarkets.com/insights/chinas-graphite-exports-plunge-in"
               "-december-after-introduction-of-export-controls")
E4 = ("[E4] rawmaterials.net 7 Nov 2025: October 2025 controls suspended to 10 Nov 2026, "
      "https://rawmaterials.net/china-officially-suspends-october-export-tightening")
MOTIE = ("MOTIE strategy for securing critical minerals (graphite among 10 strategic "
         "minerals), 27 Feb 2023: reliance on a few countries 80% -> 50% by 2030, stockpile 54 "
         "-> 100 days, https://english.motie.go.kr/eng/article/EATCLdfa319ada/1212/view")
MOFCOM58 = ("MOFCOM/GAC Announcement No. 58 of 2025 (artificial and blended graphite anode "
            "material, from 8 Nov 2025), SMM 9 Oct 2025, https://news.metal.com/newscontent/"
            "103560601/")

SOURCES: list[list] = [["sheet", "key", "column", "value", "source"]]


def src(sheet: str, key: str, column: str, value, source: str):
    """Record one figure on the `sources` sheet and return it."""
    SOURCES.append([sheet, key, column, value if not isinstance(value, float)
                    else round(value, 6), source])
    return value


def r(x: float, nd: int = 0) -> float:
    return round(x, nd) if nd else float(round(x))


# --- chain coefficients ------------------------------------------------------------------------
FLAKE_PER_SPG = 2.5          # SPG yield 40%: fines are ~60% of the flake fed
FINES_PER_SPG = FLAKE_PER_SPG - 1
SPG_PER_ANODE = 1.05         # coating and carbonisation losses
COKE_PER_ANODE = 1.25        # graphitisation mass loss of calcined needle coke

# --- demand and mine output (2024) --------------------------------------------------------------
GROWTH = r(1.625 ** (1 / 6) - 1, 3)       # +62.5% (mid of 50-75%) over 2024-2030
WORLD_ANODE_2024 = 1_970_000
NATURAL_ANODE_SHARE = 290_000 / 2_110_000
WORLD_FLAKE_2024 = 1_600_000
CHINA_FLAKE_SHARE = 0.78
CELL_SHARES = {"CHN": 0.80, "KOR": 0.06, "JPN": 0.04, "USA": 0.05, "ROW": 0.05}

# --- prices and costs (USD/t) -----------------------------------------------------------------
FLAKE_PRICE_CN, FLAKE_PRICE_X = 550, 430
SPG_PRICE = 2_800
NAT_ANODE_PRICE_LOW = 5_000
COKE_PRICE_CN, COKE_PRICE_X = 1_200, 1_500
EX_CHINA_COST_FACTOR = 1.2
ANODE_PRICE = 5_000
FINES_DISPOSAL = 100


def _settings() -> list[list]:
    return [["key", "value"], ["first_year", FIRST], ["last_year", LAST],
            ["discount_rate", src("settings", "discount_rate", "value", 0.07,
                                  "assumption: 7% real, as the rare-earth base case")],
            ["mip_gap", 0.005], ["time_limit_s", 120], ["compare_time_limit_s", 30],
            ["currency", "USD"],
            ["default_shortage_cost", src("settings", "default_shortage_cost", "value",
                                          10 * ANODE_PRICE, "assumption: 10x the anode price "
                                          "(see materials ANODE)")],
            ["origin_rule", "content"]]


COUNTRIES = [["country", "name"], ["USA", "United States"], ["JPN", "Japan"],
             ["KOR", "Korea"], ["CHN", "China"], ["MOZ", "Mozambique (Balama)"],
             ["MDG", "Madagascar (Molo, Sahamamy)"], ["TZA", "Tanzania (Lindi, Mahenge)"],
             ["CAN", "Canada (Lac des Iles, Matawinie, Becancour)"],
             ["ROW", "Rest of world (Brazil, India, Russia, Norway, Europe, ...)"]]

GROUPS = [["group", "country"], ["CHINA", "CHN"],
          *[["OTHERS", c] for c in ("USA", "JPN", "KOR", "MOZ", "MDG", "TZA", "CAN", "ROW")]]


def _materials() -> list[list]:
    anode_short = src("materials", "ANODE", "shortage_cost", 10 * ANODE_PRICE,
                      f"assumption: 10x an anode price of {ANODE_PRICE:,} USD/t (low end of "
                      f"5,000-7,000 for natural anode, {NAT_ANODE_PRICE})")
    flake_short = src("materials", "FLAKE", "shortage_cost", 10 * FLAKE_PRICE_CN,
                      "assumption: 10x China's flake price (see supply)")
    fines = src("materials", "FINES", "disposal_cost", FINES_DISPOSAL,
                "assumption: landfill or give-away of spheronisation fines (no public price)")
    return [["material", "name", "stage", "unit", "shortage_cost", "disposal_cost"],
            ["FLAKE", "Natural flake graphite concentrate (94-95% C)", "concentrate", "t",
             flake_short, None],
            ["SPG", "Spherical purified graphite (uncoated)", "intermediate", "t", anode_short,
             None],
            ["FINES", "Spheronisation fines (by-product)", "by-product", "t", anode_short,
             fines],
            ["NEEDLE_COKE", "Calcined needle coke (synthetic graphite precursor)", "precursor",
             "t", anode_short, None],
            ["ANODE", "Coated anode material (natural or synthetic graphite)", "anode", "t",
             anode_short, None]]


TECHNOLOGIES = [["technology", "name", "output"],
                ["SPHERONISE", "Milling, spheronisation and purification (flake -> SPG)", "SPG"],
                ["COAT", "Coating and carbonisation of SPG", "ANODE"],
                ["NAT_AAM", "Integrated flake -> coated natural anode (Vidalia, Becancour)",
                 "ANODE"],
                ["SYNTHETIC", "Graphitisation of needle coke to synthetic anode", "ANODE"]]


def _recipes() -> list[list]:
    flake = src("recipes", "SPHERONISE", "input FLAKE", FLAKE_PER_SPG,
                "assumption: SPG yield ~40%, fines ~60% of the flake fed (industry rule of "
                "thumb; NMG's plan, which sells purified flakes too, loses 29% as fines "
                f"[{NMG}])")
    fines = src("recipes", "SPHERONISE", "output FINES", FINES_PER_SPG,
                "derived: flake in less SPG out")
    spg = src("recipes", "COAT", "input SPG", SPG_PER_ANODE,
              "assumption: 5% coating and carbonisation loss")
    coke = src("recipes", "SYNTHETIC", "input NEEDLE_COKE", COKE_PER_ANODE,
               "assumption: 20% mass loss in graphitisation")
    return [["technology", "material", "input", "output"],
            ["SPHERONISE", "FLAKE", flake, None], ["SPHERONISE", "SPG", None, 1],
            ["SPHERONISE", "FINES", None, fines],
            ["COAT", "SPG", spg, None], ["COAT", "ANODE", None, 1],
            ["NAT_AAM", "FLAKE", r(flake * spg, 4), None],
            ["NAT_AAM", "FINES", None, r(fines * spg, 4)], ["NAT_AAM", "ANODE", None, 1],
            ["SYNTHETIC", "NEEDLE_COKE", coke, None], ["SYNTHETIC", "ANODE", None, 1]]


def _variable_costs() -> dict[str, float]:
    sph = src("existing_plants", "(China SPHERONISE)", "variable_cost",
              r(SPG_PRICE - FLAKE_PER_SPG * 500, -1),
              f"derived: SPG 99.95% 2,800 USD/t less 2.5 t flake x 500 USD/t [{PRICES}]")
    coat = src("existing_plants", "(China COAT)", "variable_cost",
               r(NAT_ANODE_PRICE_LOW - SPG_PER_ANODE * SPG_PRICE, -1),
               "derived: natural anode 5,000 USD/t [PMarketResearch 2025] less 1.05 t SPG x "
               "2,800")
    syn = src("existing_plants", "(China SYNTHETIC)", "variable_cost", 4_000,
              "assumption: graphitisation conversion cost (energy-heavy; no public figure), "
              "set so that synthetic anode (~5,500 USD/t) costs more than natural (natural "
              "anode 'generally benefits from lower costs', Reuters 20 Oct 2023, https://"
              "dreamhomespain.co.uk/china-curbs-exports-of-graphite-to-make-batteries-as-global"
              "-technology-war-intensifies-article-2/)")
    src("existing_plants", "(ex-China plants)", "variable_cost", EX_CHINA_COST_FACTOR,
        "assumption: conversion 20% dearer outside China (labour, power, scale)")
    x = EX_CHINA_COST_FACTOR
    return {"SPHERONISE_CN": sph, "COAT_CN": coat, "SYNTHETIC_CN": syn,
            "SPHERONISE": r(sph * x, -1), "COAT": r(coat * x, -1),
            "SYNTHETIC": r(syn * x, -1),
            "NAT_AAM": r((sph * SPG_PER_ANODE + coat) * x, -1)}


def _anode_2026() -> float:
    return WORLD_ANODE_2024 * (1 + GROWTH) ** 2


def _existing(vc: dict[str, float]) -> list[list]:
    demand = _anode_2026()
    cn_nat = src("existing_plants", "CN_COAT", "capacity", r(NATURAL_ANODE_SHARE * demand, -3),
                 f"derived: natural graphite 290 kt of 2.11 Mt anode shipments 2024 [{SNE}] x "
                 "2026 demand")
    cn_spg = src("existing_plants", "CN_SPHERONISE", "capacity", r(cn_nat * SPG_PER_ANODE, -3),
                 "derived: SPG for China's natural anode coating")
    cn_syn = src("existing_plants", "CN_SYNTHETIC", "capacity", r(demand, -3),
                 "assumption: China's synthetic capacity covers world demand (SNE: all top-10 "
                 "anode makers Chinese, 83% of 2.11 Mt synthetic; overcapacity)")
    vidalia = src("existing_plants", "SYRAH_VIDALIA", "capacity", 11_250, f"[{SYRAH}]")
    riverside = src("existing_plants", "NOVONIX_RIVERSIDE", "capacity", 20_000, f"[{NOVONIX}]")
    src("existing_plants", "NOVONIX_RIVERSIDE", "first_year", 2027,
        f"assumption: commercial production planned for 2025 [{NOVONIX}] counted from 2027")
    sejong = src("existing_plants", "POSCO_SEJONG", "capacity", 74_000, f"[{POSCO_NAM}]")
    pohang = src("existing_plants", "POSCO_POHANG", "capacity", 18_000, f"[{POSCO_NAM}]")
    saemangeum = src("existing_plants", "POSCO_SAEMANGEUM", "capacity", 37_000, f"[{POSCO_SPG}]")
    jp_syn = src("existing_plants", "JP_SYNTHETIC", "capacity", 40_000,
                 "assumption: Resonac, Mitsubishi Chemical, JFE Chemical and others (no public "
                 f"total; Resonac scaling back [{SNE}])")
    rows = [["plant", "technology", "country", "capacity", "fixed_om", "variable_cost",
             "first_year", "last_year"],
            ["CN_SPHERONISE", "SPHERONISE", "CHN", cn_spg, 0, vc["SPHERONISE_CN"], None, None],
            ["CN_COAT", "COAT", "CHN", cn_nat, 0, vc["COAT_CN"], None, None],
            ["CN_SYNTHETIC", "SYNTHETIC", "CHN", cn_syn, 0, vc["SYNTHETIC_CN"], None, None],
            ["SYRAH_VIDALIA", "NAT_AAM", "USA", vidalia, 0, vc["NAT_AAM"], None, None],
            ["NOVONIX_RIVERSIDE", "SYNTHETIC", "USA", riverside, 0, vc["SYNTHETIC"], 2027,
             None],
            ["POSCO_SEJONG", "COAT", "KOR", sejong, 0, vc["COAT"], None, None],
            ["POSCO_POHANG", "SYNTHETIC", "KOR", pohang, 0, vc["SYNTHETIC"], None, None],
            ["POSCO_SAEMANGEUM", "SPHERONISE", "KOR", saemangeum, 0, vc["SPHERONISE"], 2027,
             None],
            ["JP_SYNTHETIC", "SYNTHETIC", "JPN", jp_syn, 0, vc["SYNTHETIC"], None, None]]
    return rows + _china_growth(vc, cn_spg, cn_nat, cn_syn)


def _china_growth(vc, spg: float, nat: float, syn: float) -> list[list]:
    """China's aggregate capacity grows exogenously with world demand: one row per year."""
    src("existing_plants", "CN_<technology>_<year>", "capacity", GROWTH,
        f"assumption: China's capacity grows with world demand [{IEA_GROWTH}]")
    rows = []
    for y in range(FIRST + 1, LAST + 1):
        step = (1 + GROWTH) ** (y - FIRST) - (1 + GROWTH) ** (y - 1 - FIRST)
        for tech, cap in (("SPHERONISE", spg), ("COAT", nat), ("SYNTHETIC", syn)):
            rows.append([f"CN_{tech}_{y}", tech, "CHN", r(cap * step, -2), 0,
                         vc[f"{tech}_CN"], y, None])
    return rows


def _sites(vc: dict[str, float]) -> list[list]:
    life = src("sites", "(all)", "lifetime", 20, "assumption: 20-year plant life")
    spg_capex = 321.3e6 / 37_000
    aam_capex = 539e6 / 33_750
    coat_capex = aam_capex - SPG_PER_ANODE * spg_capex
    syn_capex = 1.0e9 / 30_000
    src("sites", "(SPHERONISE)", "capex per t/yr", r(spg_capex, -1),
        f"derived: 321.3 M USD / 37,000 t/yr [{POSCO_SPG}]")
    src("sites", "(NAT_AAM)", "capex per t/yr", r(aam_capex, -1),
        f"derived: 539 M USD / (45,000 - 11,250) t/yr [{SYRAH_DFS}]")
    src("sites", "(COAT)", "capex per t/yr", r(coat_capex, -1),
        "derived: integrated NAT_AAM less 1.05 x SPHERONISE intensity")
    src("sites", "(SYNTHETIC)", "capex per t/yr", r(syn_capex, -1),
        f"derived: ~1 billion USD / 30,000 t/yr [{NOVONIX_CAPEX}]")
    rows = [["site", "technology", "option", "country", "capacity", "capex", "fixed_om",
             "variable_cost", "lead_time", "lifetime", "earliest_year", "latest_year"]]

    def site(name, tech, country, cap, intensity, lead, why_cap, why_lead, earliest=None):
        src("sites", name, "capacity", cap, why_cap)
        src("sites", name, "lead_time", lead, why_lead)
        rows.append([name, tech, "default", country, cap, r(cap * intensity, -5), 0, vc[tech],
                     lead, life, earliest, None])

    site("SYRAH_VIDALIA_EXP", "NAT_AAM", "USA", 33_750, aam_capex, 3,
         f"11.25 -> 45 ktpa AAM [{SYRAH_DFS}]", "assumption: ~3 yr (DFS 2023, FID pending)")
    site("NOVONIX_CHATTANOOGA", "SYNTHETIC", "USA", 31_500, syn_capex, 3,
         f"[{NOVONIX}]", f"loan Dec 2024 -> full production end 2028: ~3 yr [{NOVONIX}]")
    site("NOVONIX_NA_EXP", "SYNTHETIC", "USA", 80_000, syn_capex, 4,
         f"towards the 150 ktpa target less 20 + 31.5 + ~20 kt [{NOVONIX_TARGET}]",
         "assumption: ~4 yr (no site or schedule announced)", earliest=2028)
    site("NMG_BECANCOUR", "NAT_AAM", "CAN", 42_616, aam_capex, 3, f"[{NMG}]",
         "assumption: ~3 yr after a financing decision")
    site("POSCO_NAM_EXP", "COAT", "KOR", 108_000, coat_capex, 3,
         f"74 -> 182 ktpy by 2030 [{POSCO_NAM}]", "assumption: ~3 yr per phase")
    site("POSCO_POHANG_EXP", "SYNTHETIC", "KOR", 20_000, syn_capex, 3,
         "assumption: a further Pohang phase of 20 kt/yr", "assumption: ~3 yr")
    site("JP_SYNTHETIC_EXP", "SYNTHETIC", "JPN", 20_000, syn_capex, 3,
         "assumption: a 20 kt/yr Japanese expansion", "assumption: ~3 yr")
    site("US_SPHERONISE", "SPHERONISE", "USA", 20_000, spg_capex, 2,
         "assumption: generic 20 kt/yr SPG plant",
         f"construction from H2 2025, completion 2027: 2 yr [{POSCO_SPG}]")
    site("JP_SPHERONISE", "SPHERONISE", "JPN", 20_000, spg_capex, 2,
         "assumption: generic 20 kt/yr SPG plant",
         f"construction from H2 2025, completion 2027: 2 yr [{POSCO_SPG}]")
    site("JP_COAT", "COAT", "JPN", 20_000, coat_capex, 2,
         "assumption: generic 20 kt/yr coating line", "assumption: ~2 yr")
    return rows


def _flake_supply() -> list[list]:
    world = src("supply", "world FLAKE 2024", "max_quantity", WORLD_FLAKE_2024,
                f"{USGS}: world total 1.6 Mt")
    china = src("supply", "CHN/FLAKE", "max_quantity (2026)", r(CHINA_FLAKE_SHARE * world, -3),
                f"derived: China ~78% of 2024 production x 1.6 Mt [{USGS}]")
    africa = src("supply", "MOZ+MDG+TZA/FLAKE", "max_quantity (2026)", 120_000,
                 f"[{IEA_AFRICA}] Africa 120 kt in 2024 (Balama halted from July)")
    split = {"MOZ": 45_000, "MDG": 60_000, "TZA": 15_000}
    src("supply", "MOZ, MDG, TZA/FLAKE", "split", "45/60/15 kt",
        "assumption: split of Africa's 120 kt (Balama from H1 only; Tirupati Madagascar 20 "
        f"kt/yr rising to 54 kt/yr [{IEA_AFRICA}])")
    canada = src("supply", "CAN/FLAKE", "max_quantity (2026)", 13_000,
                 "ReportLinker 2025 (USGS/BGS data): Canada 13.18 kt in 2023, "
                 "https://www.reportlinker.com/dataset/82e169acde56221b5600772c233549a1a02ad611")
    row = src("supply", "ROW/FLAKE", "max_quantity (2026)", world - china - africa - canada,
              "derived: world less China, Africa and Canada (Brazil ~70-90 kt, India, Russia, "
              "Norway, North Korea, ...)")
    p_cn = src("supply", "CHN/FLAKE", "price", FLAKE_PRICE_CN,
               f"-150 mesh flake 450-550 USD/t, top of the range for China's domestic market "
               f"[{PRICES}]")
    p_x = src("supply", "(ex-China)/FLAKE", "price", FLAKE_PRICE_X,
              "assumption: FOB Africa/Brazil below China's domestic price (China a net "
              "importer of flake, Benchmark 2023, https://www.benchmarkminerals.com/membership/"
              "benchmark-minerals-launches-new-flake-graphite-price-assessments-for-domestic-"
              "china-grades/)")
    src("supply", "CHN/FLAKE", "max_quantity growth", GROWTH,
        "assumption: China's mines grow with demand from 2027; other mines as announced")
    later = {"MOZ": (2027, 150_000, "assumption: Balama restart (350 kt/yr nameplate) at "
                     "partial rate from 2027"),
             "TZA": (2028, 75_000, f"Mahenge offtake 60 ktpy to POSCO [{POSCO_NAM}] from 2028 "
                     "(assumption) + 15 kt"),
             "CAN": (2029, 113_000, f"Matawinie 103,328 t/yr [{NMG}] from 2029 (assumption) + "
                     "Lac des Iles 10 kt")}
    rows = [["country", "material", "year", "max_quantity", "price"]]
    rows += [["CHN", "FLAKE", y, r(china * (1 + GROWTH) ** (y - FIRST), -2), p_cn]
             for y in YEARS]
    for country, qty in (*split.items(), ("CAN", canada), ("ROW", row)):
        start, more, why = later.get(country, (LAST + 1, qty, ""))
        if why:
            src("supply", f"{country}/FLAKE", f"max_quantity ({start}+)", more, why)
        rows += [[country, "FLAKE", y, qty if y < start else more, p_x] for y in YEARS]
    return rows


def _coke_supply() -> list[list]:
    p_cn = src("supply", "CHN/NEEDLE_COKE", "price", COKE_PRICE_CN,
               "assumption: calcined needle coke for anodes (no public price found)")
    p_x = src("supply", "JPN, KOR, USA/NEEDLE_COKE", "price", COKE_PRICE_X,
              "assumption: ex-China coke (Phillips 66, Mitsubishi Chemical, POSCO MC) 25% "
              "dearer")
    return [["CHN", "NEEDLE_COKE", None, None, p_cn],
            *[[c, "NEEDLE_COKE", None, None, p_x] for c in ("JPN", "KOR", "USA")]]


def _routes() -> list[list]:
    freight = src("routes", "(all)", "transport_cost", 100,
                  "assumption: sea freight and handling per t")
    return [["from_country", "to_country", "material", "transport_cost", "tariff"],
            ["CHINA", "OTHERS", None, freight, 0], ["OTHERS", "CHINA", None, freight, 0],
            ["OTHERS", "OTHERS", None, freight, 0]]


def _demand() -> list[list]:
    src("demand", "(ANODE)", "growth", GROWTH,
        f"derived: (1.625)^(1/6) - 1, mid of +50-75% 2024-2030 [{IEA_GROWTH}]")
    world = src("demand", "world ANODE 2026", "quantity", r(_anode_2026(), -3),
                f"derived: anode demand 1.97 Mt in 2024 [{SNE}] grown two years")
    src("demand", "(ANODE by country)", "share", str(CELL_SHARES),
        "assumption: shares of battery cell production in 2024-25 (IEA Global EV Outlook "
        "2025: China dominates cell making; Korean and Japanese makers produce mostly abroad)")
    natural_flake = world * NATURAL_ANODE_SHARE * SPG_PER_ANODE * FLAKE_PER_SPG
    industrial = src("demand", "(FLAKE, industrial)", "quantity",
                     r(WORLD_FLAKE_2024 - natural_flake, -3),
                     "derived: 2024 mine output less the flake for natural anode in 2026 (so "
                     "2026 uses what was mined); held flat (refractories, foundries)")
    us_ind = src("demand", "USA/FLAKE", "quantity", 50_000,
                 "USGS MCS 2020: US apparent consumption 52 kt (2019), https://docslib.org/doc/"
                 "3751976/graphite-data-sheet")
    src("demand", "CHN, ROW/FLAKE", "split", "60/40",
        "assumption: industrial flake use split 60/40 between China and the rest of world")
    rows = [["country", "material", "year", "quantity", "growth"]]
    rows += [[c, "ANODE", FIRST, r(world * share, -2), GROWTH] for c, share in
             CELL_SHARES.items()]
    rest = industrial - us_ind
    rows += [["USA", "FLAKE", None, us_ind, None], ["CHN", "FLAKE", None, r(0.6 * rest, -3),
                                                     None],
             ["ROW", "FLAKE", None, r(0.4 * rest, -3), None]]
    return rows


def _stockpiles() -> list[list]:
    holding = src("stockpiles", "(all)", "holding_cost", r(0.08 * ANODE_PRICE),
                  "assumption: 8%/yr of the anode price (storage, insurance, capital)")
    year_demand = _anode_2026() * (1 + GROWTH) ** (LAST - FIRST)
    end_value = src("stockpiles", "(all)", "end_value", ANODE_PRICE,
                    "assumption: stock left in 2035 at the anode price (its replacement cost)")
    rows = [["country", "material", "initial", "capacity", "holding_cost", "min_cover_days",
             "max_release", "end_value"]]
    for c, days, why in (
            ("KOR", 100, f"[{MOTIE}]; held as anode material: assumption"),
            ("JPN", 60, "[G15] JOGMEC 60-day rare-metal stockpile target (graphite anode "
             "covered: assumption)")):
        src("stockpiles", f"{c}/ANODE", "min_cover_days", days, why)
        cap = src("stockpiles", f"{c}/ANODE", "capacity",
                  r(1.5 * days / 365 * CELL_SHARES[c] * year_demand, -2),
                  "derived: 1.5x the cover of 2035 demand")
        rows.append([c, "ANODE", 0, cap, holding, days, None, end_value])
    return rows


def _limits() -> list[list]:
    src("dependence_limits", "USA <- CHINA ANODE", "max_share", "0.5 (2028-30), 0.2 (2031+)",
        "assumption modelled on the US IRA 30D foreign-entity-of-concern rule, which bars "
        "China-origin graphite anode content from credit-eligible EVs from 2027")
    src("dependence_limits", "JPN, KOR <- CHINA ANODE", "max_share", "0.5 (2030+)",
        f"[{MOTIE}]; Japan the same: assumption")
    rows = [["consumer", "supplier", "material", "year", "to_year", "max_share"],
            ["USA", "CHINA", "ANODE", 2028, 2030, 0.5], ["USA", "CHINA", "ANODE", 2031, LAST,
                                                         0.2]]
    rows += [[c, "CHINA", "ANODE", 2030, LAST, 0.5] for c in ("JPN", "KOR")]
    return rows


def _scenarios() -> tuple[list[list], list[list]]:
    cut_permits = src("disruptions", "cn_permits_1yr", "cut", 0.5,
                      "assumption: Dec 2023 permits cut flake exports 94% and spherical 92% "
                      f"month on month [{FASTMARKETS}], then licences resumed; half for a year")
    cut_anode = src("disruptions", "cn_anode_3yr", "cut", 0.6,
                    f"assumption: the Oct 2025 anode controls [{MOFCOM58}], suspended to Nov "
                    f"2026 [{E4}], reinstated and enforced at 60%")
    p_permits = src("scenarios", "cn_permits_1yr", "probability", 0.2,
                    "assumption: no published probability")
    p_anode = src("scenarios", "cn_anode_3yr", "probability", 0.15,
                  "assumption: no published probability (a sweeps row varies it)")
    scen = [["scenario", "probability", "description"],
            ["cn_permits_1yr", p_permits, "December-2023-like permits on natural flake, "
             "spherical graphite and synthetic graphite: China's anode exports halve in 2027"],
            ["cn_anode_3yr", p_anode, "October-2025-like anode controls reinstated after the "
             "suspension: China's anode exports fall 60% in 2027-2029"]]
    dis = [["scenario", "supplier", "material", "from_year", "to_year", "cut"]]
    # China exports none of its flake or SPG in the reference plan (it imports flake and
    # exports finished anode material), so the permits bite on anode material
    dis.append(["cn_permits_1yr", "CHINA", "ANODE", 2027, 2027, cut_permits])
    dis.append(["cn_anode_3yr", "CHINA", "ANODE", 2027, 2029, cut_anode])
    return scen, dis


def _sweeps() -> list[list]:
    """What `optimizer sweep inputs/graphite.xlsx` runs: the two assumed figures of the
    anode-control scenario and the USA's long-run limit."""
    return [["sweep", "sheet", "column", "where", "mode", "values"],
            ["anode_cut_depth", "disruptions", "cut", "scenario=cn_anode_3yr", "set",
             "0.3,0.9"],
            ["anode_cut_probability", "scenarios", "probability", "scenario=cn_anode_3yr",
             "set", "0.05,0.3"],
            ["usa_anode_limit", "dependence_limits", "max_share",
             "consumer=USA; max_share=0.2", "set", "0.4,0.3,0.2,0.1"]]


def sheets(policy: bool = True, disruptions: bool = True,
           builds: bool = True) -> dict[str, list[list]]:
    del SOURCES[1:]
    vc = _variable_costs()
    out = {"settings": _settings(), "countries": COUNTRIES, "groups": GROUPS,
           "materials": _materials(), "technologies": TECHNOLOGIES, "recipes": _recipes(),
           "existing_plants": _existing(vc)}
    sites = _sites(vc)
    if builds:
        out["sites"] = sites
    out["supply"] = _flake_supply() + _coke_supply()
    out["routes"] = _routes()
    out["demand"] = _demand()
    if policy:
        out["stockpiles"] = _stockpiles()
        out["dependence_limits"] = _limits()
    if disruptions:
        out["scenarios"], out["disruptions"] = _scenarios()
    if policy and disruptions:
        out["sweeps"] = _sweeps()
    out["sources"] = [list(row) for row in SOURCES]
    return out


if __name__ == "__main__":
    write_sheets(Path(__file__).with_name("graphite.xlsx"), sheets())
