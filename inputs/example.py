"""Writes inputs/example.xlsx: a small, illustrative NdFeB magnet chain.

Five countries, four materials, 2026-2035, one China export-cut scenario. Figures are rounded
from the public sources in the `notes` sheet; the calibrated base case is a separate workbook.

    python inputs/example.py
"""

from __future__ import annotations

from pathlib import Path

from optimizer.excel.sheets import write_sheets

NOTES = [
    ["topic", "note"],
    ["purpose", "Illustrative example of the input contract; not a calibrated base case."],
    ["separation", "NdPr oxide per t of mixed rare-earth concentrate (REO basis): ~0.22 t; "
     "Lynas Kuantan 10,500 t/yr NdPr oxide (Lynas 2024-25)."],
    ["metal", "1.17 t of NdPr oxide per t of NdPr metal (oxygen mass ratio)."],
    ["magnet", "~0.3 t of NdPr metal per t of sintered NdFeB."],
    ["prices", "NdPr oxide ~55 USD/kg FOB China 2024 (Fastmarkets, Argus)."],
    ["capex", "Separation ~60 k USD per t/yr NdPr (brownfield); magnets ~55 k USD per t/yr "
     "(Neo Narva, USA Rare Earth)."],
    ["demand", "US magnet imports ~7.5 kt/yr (2024 customs); Japan ~15-20 kt/yr (estimate)."],
    ["stockpile", "60 days of cover, after JOGMEC's national norm."],
]


def sheets() -> dict[str, list[list]]:
    return {
        "settings": [["key", "value"], ["first_year", 2026], ["last_year", 2035],
                     ["discount_rate", 0.07], ["mip_gap", 0.001], ["time_limit_s", 120],
                     ["currency", "USD"], ["origin_rule", "content"]],
        "countries": [["country", "name"], ["CHN", "China"], ["USA", "United States"],
                      ["JPN", "Japan"], ["AUS", "Australia"], ["MYS", "Malaysia"]],
        "groups": [["group", "country"], ["CHINA", "CHN"], ["PARTNERS", "USA"],
                   ["PARTNERS", "JPN"], ["PARTNERS", "AUS"], ["PARTNERS", "MYS"]],
        "materials": [["material", "name", "stage", "unit", "shortage_cost"],
                      ["CONC", "Mixed rare-earth concentrate (REO)", "concentrate", "t", 50_000],
                      ["NDPR_OXIDE", "NdPr oxide", "oxide", "t", 300_000],
                      ["NDPR_METAL", "NdPr metal", "metal", "t", 400_000],
                      ["NDFEB", "Sintered NdFeB magnet", "magnet", "t", 500_000]],
        "technologies": [["technology", "name", "output"],
                         ["SEP", "Separation", "NDPR_OXIDE"],
                         ["METAL", "Metallisation", "NDPR_METAL"],
                         ["MAGNET", "Magnet making", "NDFEB"]],
        "recipes": [["technology", "material", "input", "output"],
                    ["SEP", "CONC", 4.5, None], ["SEP", "NDPR_OXIDE", None, 1],
                    ["METAL", "NDPR_OXIDE", 1.17, None], ["METAL", "NDPR_METAL", None, 1],
                    ["MAGNET", "NDPR_METAL", 0.3, None], ["MAGNET", "NDFEB", None, 1]],
        "existing_plants": [
            ["plant", "technology", "country", "capacity", "fixed_om", "variable_cost"],
            ["CN_SEP", "SEP", "CHN", 70_000, 0, 12_000],
            ["CN_METAL", "METAL", "CHN", 60_000, 0, 6_000],
            ["CN_MAGNET", "MAGNET", "CHN", 200_000, 0, 15_000],
            ["LYNAS_KUANTAN", "SEP", "MYS", 10_500, 20_000_000, 16_000],
            ["MP_MOUNTAIN_PASS", "SEP", "USA", 1_300, 10_000_000, 18_000],
            ["JP_METAL", "METAL", "JPN", 3_000, 5_000_000, 9_000],
            ["JP_MAGNET", "MAGNET", "JPN", 15_000, 20_000_000, 22_000],
            ["MP_INDEPENDENCE", "MAGNET", "USA", 1_000, 5_000_000, 25_000]],
        "sites": [
            ["site", "technology", "option", "country", "capacity", "capex", "fixed_om",
             "variable_cost", "lead_time", "lifetime", "earliest_year"],
            ["TX_SEP", "SEP", "small", "USA", 2_000, 120e6, 4e6, 18_000, 3, 25, 2026],
            ["TX_SEP", "SEP", "large", "USA", 6_000, 360e6, 10e6, 17_000, 3, 25, 2026],
            ["WA_SEP", "SEP", "default", "AUS", 5_500, 330e6, 9e6, 16_000, 3, 25, 2026],
            ["US_METAL", "METAL", "default", "USA", 3_000, 90e6, 3e6, 9_000, 2, 25, 2026],
            ["JP_METAL_2", "METAL", "default", "JPN", 3_000, 90e6, 3e6, 9_000, 2, 25, 2026],
            ["US_MAGNET", "MAGNET", "small", "USA", 3_000, 165e6, 5e6, 24_000, 2, 25, 2026],
            ["US_MAGNET", "MAGNET", "large", "USA", 7_000, 385e6, 10e6, 22_000, 2, 25, 2026],
            ["JP_MAGNET_2", "MAGNET", "default", "JPN", 5_000, 275e6, 8e6, 22_000, 2, 25,
             2026]],
        "supply": [["country", "material", "year", "max_quantity", "price"],
                   ["CHN", "CONC", None, 300_000, 9_000],
                   ["AUS", "CONC", None, 60_000, 11_000],
                   ["USA", "CONC", None, 40_000, 10_000],
                   ["CHN", "NDPR_OXIDE", None, 20_000, 55_000],
                   ["CHN", "NDFEB", None, 30_000, 75_000]],
        "routes": [["from_country", "to_country", "material", "transport_cost", "tariff"],
                   ["CHINA", "PARTNERS", None, 400, 0],
                   ["PARTNERS", "CHINA", None, 400, 0],
                   ["PARTNERS", "PARTNERS", None, 300, 0],
                   ["CHN", "USA", "NDFEB", 400, 18_750]],
        "demand": [["country", "material", "year", "quantity"],
                   ["CHN", "NDFEB", None, 150_000],
                   ["USA", "NDFEB", None, 7_500],
                   ["JPN", "NDFEB", None, 18_000]],
        "stockpiles": [["country", "material", "initial", "capacity", "holding_cost",
                        "min_cover_days", "max_release"],
                       ["USA", "NDFEB", 0, 3_000, 2_000, 60, None],
                       ["JPN", "NDFEB", 1_000, 4_000, 2_000, 60, None]],
        "dependence_limits": [["consumer", "supplier", "material", "year", "max_share"],
                              ["USA", "CHINA", "NDFEB", 2030, 0.5],
                              ["USA", "CHINA", "NDFEB", 2031, 0.5],
                              ["USA", "CHINA", "NDFEB", 2032, 0.5],
                              ["USA", "CHINA", "NDFEB", 2033, 0.2],
                              ["USA", "CHINA", "NDFEB", 2034, 0.2],
                              ["USA", "CHINA", "NDFEB", 2035, 0.2],
                              ["JPN", "CHINA", "NDFEB", 2030, 0.5],
                              ["JPN", "CHINA", "NDFEB", 2033, 0.3],
                              ["JPN", "CHINA", "NDFEB", 2034, 0.3],
                              ["JPN", "CHINA", "NDFEB", 2035, 0.3],
                              ["JPN", "CHINA", "NDPR_METAL", None, 0.5]],
        "scenarios": [["scenario", "probability", "description"],
                      ["china_cut_2028", 0.2, "China cuts NdPr and magnet exports by 90% "
                       "in 2028-2029"]],
        "disruptions": [["scenario", "supplier", "material", "from_year", "to_year", "cut"],
                        ["china_cut_2028", "CHINA", "NDFEB", 2028, 2029, 0.9],
                        ["china_cut_2028", "CHINA", "NDPR_METAL", 2028, 2029, 0.9],
                        ["china_cut_2028", "CHINA", "NDPR_OXIDE", 2028, 2029, 0.9]],
        "notes": NOTES,
    }


if __name__ == "__main__":
    write_sheets(Path(__file__).with_name("example.xlsx"), sheets())
