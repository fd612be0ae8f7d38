"""`optimizer sweep`: variations from the sweeps sheet and --vary, the frontier, the tornado,
and every way a sweep can go wrong."""

from __future__ import annotations

import re
import zipfile

import pandas as pd
import pytest
from conftest import run_cli, sha256, tiny_sheets, write_workbook

from optimizer.contract.variations import parse_vary
from optimizer.excel import palette
from optimizer.excel.sweep_writer import tornado_height, write_sweep
from optimizer.solving.runs import Run, RunResult

LIMITS = [["consumer", "supplier", "material", "year", "max_share"],
          ["JPN", "CHINA", "OXIDE", None, 0.3]]
SWEEP_HEADER = ["sweep", "sheet", "column", "where", "mode", "values"]


def sweep_case(tmp_path, sweeps=None, **sheets):
    sheets.setdefault("dependence_limits", LIMITS)
    if sweeps is not None:
        sheets["sweeps"] = [SWEEP_HEADER, *sweeps]
    return write_workbook(tmp_path / "case.xlsx", tiny_sheets(**sheets))


def read(path):
    return pd.read_excel(path, sheet_name=None, engine="calamine")


# selecting the limit row by the share it has (0.3) must also find it at every other share
@pytest.mark.parametrize("where", ["consumer=JPN", "consumer=JPN; max_share=0.3"])
def test_share_limit_sweep_follows_the_analytic_cost_curve(tmp_path, where):
    """JPN needs 100 t/yr for 2 years; China costs 11 delivered, Australia 22. With at most
    a share s from China the cost is 2 x 100 x (22 - 11 s) = 4,400 - 2,200 s: every point of
    the frontier, and 22 per percentage point between points and from the duals."""
    shares = [0.0, 0.2, 0.4, 0.6, 0.8]
    case = sweep_case(tmp_path, [["limit", "dependence_limits", "max_share", where,
                                  "set", ", ".join(map(str, shares))]])
    out = tmp_path / "sweep.xlsx"
    result = run_cli("sweep", str(case), "-o", str(out))
    assert result.returncode == 0, result.stderr
    book = read(out)
    frontier = book["frontier"].sort_values("max_share")
    assert list(frontier["max_share"]) == pytest.approx(shares)
    assert list(frontier["objective"]) == pytest.approx([4400 - 2200 * s for s in shares])
    assert frontier["cost_per_pp_tightened"].dropna().tolist() == pytest.approx([22] * 4)
    assert list(frontier["marginal_cost"]) == pytest.approx([22] * 5)
    runs = book["runs"]
    assert list(runs["sweep"])[:2] == ["base", "limit"] and len(runs) == 6
    assert list(runs["status"]) == ["optimal"] * 6


def test_tornado_orders_parameters_by_swing(tmp_path):
    """Base 3,740 (30 t China at 11 + 70 t Australia at 22, twice). Australia's price x0.5
    and x1.5 moves the cost by -/+ 1,400 (swing 2,800); China's price x0.5 and x1.5 moves it
    by -/+ 300 (swing 600); freight from China set to 0 or 2 moves it by -/+ 60 (120)."""
    case = sweep_case(tmp_path, [
        ["china", "supply", "price", "country=CHN", "scale", "0.5, 1.5"],
        ["freight", "routes", "transport_cost", "from_country=CHN", "set", "0, 2"],
        ["australia", "supply", "price", "country=AUS", "scale", "0.5, 1.5"]])
    out = tmp_path / "sweep.xlsx"
    assert run_cli("sweep", str(case), "-o", str(out)).returncode == 0
    tornado = read(out)["tornado"]
    assert [p.split(".")[1].split("[")[0] for p in tornado["parameter"]] == \
        ["price", "price", "transport_cost"]
    assert list(tornado["swing"]) == pytest.approx([2800, 600, 120])
    assert "country=AUS" in tornado["parameter"][0]


def test_two_rows_with_one_sweep_name_form_a_grid(tmp_path):
    case = sweep_case(tmp_path, [
        ["grid", "supply", "price", "country=CHN", "set", "10, 20"],
        ["grid", "dependence_limits", "max_share", "", "set", "0.3, 0.6, 0.9"]])
    out = tmp_path / "sweep.xlsx"
    assert run_cli("sweep", str(case), "-o", str(out)).returncode == 0
    assert len(read(out)["runs"]) == 1 + 2 * 3


def test_vary_option_overrides_the_sweeps_sheet(tmp_path):
    case = sweep_case(tmp_path)
    out = tmp_path / "sweep.xlsx"
    result = run_cli("sweep", str(case), "-o", str(out), "--vary",
                     "settings.discount_rate=0,0.1")
    assert result.returncode == 0, result.stderr
    objectives = list(read(out)["runs"]["objective"])
    assert objectives[1] == pytest.approx(3740)
    assert objectives[2] == pytest.approx(1870 + 1870 / 1.1)


def test_where_matching_no_row_is_an_input_error_naming_the_sweeps_row(tmp_path):
    case = sweep_case(tmp_path, [["x", "supply", "price", "country=FRA", "set", "1, 2"]])
    before = sha256(case)
    out = tmp_path / "sweep.xlsx"
    result = run_cli("sweep", str(case), "-o", str(out))
    assert result.returncode == 3
    assert "sheet 'sweeps', row 2, column 'where'" in result.stderr
    assert "matches no row" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and sha256(case) == before


def test_value_a_column_cannot_take_names_the_values_cell(tmp_path):
    case = sweep_case(tmp_path, [["x", "dependence_limits", "max_share", "", "set", "0.5, 2"]])
    result = run_cli("sweep", str(case), "-o", str(tmp_path / "s.xlsx"))
    assert result.returncode == 3
    assert "sheet 'sweeps', row 2, column 'values'" in result.stderr


def test_failed_runs_are_rows_and_exit_8(tmp_path):
    """A 365-day cover (100 t) above the stockpile's capacity (50 t) is infeasible."""
    piles = [["country", "material", "initial", "capacity", "min_cover_days"],
             ["JPN", "OXIDE", 0, 50, 0]]
    case = sweep_case(tmp_path, [["cover", "stockpiles", "min_cover_days", "", "set",
                                  "30, 365"]], stockpiles=piles)
    out = tmp_path / "sweep.xlsx"
    result = run_cli("sweep", str(case), "-o", str(out))
    assert result.returncode == 8, result.stderr
    runs = read(out)["runs"]
    assert list(runs["status"]) == ["optimal", "optimal", "infeasible"]
    assert list(runs["exit_code"]) == [0, 0, 4]
    assert "stockpiles row 2" in runs["message"].iloc[2]


def test_parallel_runs_give_the_same_objectives(tmp_path):
    case = sweep_case(tmp_path, [["limit", "dependence_limits", "max_share", "", "set",
                                  "0.1, 0.5, 0.9"]])
    serial, parallel = tmp_path / "serial.xlsx", tmp_path / "parallel.xlsx"
    assert run_cli("sweep", str(case), "-o", str(serial)).returncode == 0
    assert run_cli("sweep", str(case), "-o", str(parallel), "--jobs", "2").returncode == 0
    assert list(read(parallel)["runs"]["objective"]) == \
        pytest.approx(list(read(serial)["runs"]["objective"]))


@pytest.mark.parametrize("text", ["supply.price", "supply.price=", "price=1,2",
                                  "supply.price[country]=1", "supply.price=a,b"])
def test_malformed_vary_is_a_usage_error(tmp_path, text):
    result = run_cli("sweep", str(sweep_case(tmp_path)), "--vary", text)
    assert result.returncode == 2
    assert "--vary" in result.stderr and "Traceback" not in result.stderr


def test_vary_on_an_unknown_column_is_a_usage_error(tmp_path):
    result = run_cli("sweep", str(sweep_case(tmp_path)), "--vary", "supply.colour=1,2")
    assert result.returncode == 2
    assert "no numeric column 'colour'" in result.stderr


def test_no_variations_is_a_usage_error(tmp_path):
    assert run_cli("sweep", str(sweep_case(tmp_path))).returncode == 2


def test_parse_vary():
    v = parse_vary("dependence_limits.max_share[consumer=JPN; year=2030]=20%,0.5")
    assert (v.sheet, v.column, v.mode) == ("dependence_limits", "max_share", "set")
    assert v.where == (("consumer", "JPN"), ("year", "2030"))
    assert v.values == pytest.approx((0.2, 0.5))
    assert parse_vary("supply.price*=0.5,2").mode == "scale"


def test_persistent_runs_match_cold_runs(tmp_path):
    """One re-used model with its cells changed in place gives what building each run from
    scratch gives (to 1e-6), and falls back to a cold run for what is not a cell."""
    from optimizer.contract.validate import load_inputs
    from optimizer.contract.variations import plan_runs
    from optimizer.studies.sweep import PersistentRuns, solve_run

    settings = [["key", "value"], ["first_year", 2026], ["last_year", 2027],
                ["discount_rate", 0.05], ["mip_gap", 0]]
    sites = [["site", "technology", "country", "capacity", "capex", "variable_cost",
              "lifetime"], ["A", "SEP", "AUS", 60, 500, 5, 2], ["B", "SEP", "JPN", 80, 900, 4, 2]]
    piles = [["country", "material", "initial", "capacity", "holding_cost", "min_cover_days",
              "min_level", "end_value"], ["JPN", "OXIDE", 0, 100, 1, 30, 2, 8],
             ["AUS", "OXIDE", 0, 100, 1, 0, 5, None]]
    # CUT2's two rows overlap in 2027 (the smaller allowance holds): each row its own cells
    scenarios = [["scenario", "probability"], ["CUT", 0.3], ["CUT2", 0.1]]
    cuts = [["scenario", "supplier", "material", "from_year", "to_year", "cut"],
            ["CUT", "CHN", "OXIDE", 2027, 2027, 0.5], ["CUT2", "CHN", "OXIDE", 2026, 2027, 0.2],
            ["CUT2", "CHN", "OXIDE", 2027, 2027, 0.4]]
    path = sweep_case(tmp_path, settings=settings, sites=sites, stockpiles=piles,
                      budgets=[["country", "year", "max_capex"], ["AUS", None, 600]],
                      scenarios=scenarios, disruptions=cuts)
    variations = [parse_vary(text) for text in (
        "supply.price[country=CHN]*=0.5,2", "sites.capex[site=A]=100,2000",
        "demand.quantity=50,150", "dependence_limits.max_share=0.1,0.9",
        "stockpiles.min_cover_days[country=JPN]=10,90", "stockpiles.min_level[country=JPN]=1,40",
        "stockpiles.end_value[country=JPN]=0,50", "budgets.max_capex=0,5000",
        "routes.transport_cost[from_country=AUS]=0,9", "sites.capacity[site=B]=10,200",
        "disruptions.cut[scenario=CUT]=0.1,1", "sites.lifetime=1",
        "settings.discount_rate=0", "disruptions.cut[scenario=CUT2; from_year=2027]=0.9",
        "disruptions.reference[scenario=CUT]=30")]
    runs = plan_runs(variations)
    inputs = load_inputs(path)
    persistent = PersistentRuns(inputs)
    warm = [persistent.solve(run) for run in runs]
    cold = [solve_run(inputs, run) for run in runs]
    assert [r.status for r in warm] == [r.status for r in cold] == ["optimal"] * len(runs)
    for w, c in zip(warm, cold, strict=True):
        assert w.objective == pytest.approx(c.objective, rel=1e-6, abs=1e-6), w.run
        assert w.summary["builds"] == c.summary["builds"]
    assert persistent.cold_runs == 3  # the lifetime, the setting, a reference where none was
    assert len({r.objective for r in cold}) > 10  # the variations do change the answer


def test_persistent_runs_scale_grown_demand_and_price_disposal_in_place(tmp_path):
    """A growing demand row's quantity is one cell: the years it grows into follow it in
    place, as a cold build gives them; a disposal cost is a cell too; a growth is not (it
    shapes which years the row sets), so that run is cold."""
    from optimizer.contract.validate import load_inputs
    from optimizer.contract.variations import plan_runs
    from optimizer.studies.sweep import PersistentRuns, solve_run

    settings = [["key", "value"], ["first_year", 2026], ["last_year", 2028],
                ["discount_rate", 0.05], ["mip_gap", 0]]
    materials = [["material", "shortage_cost", "disposal_cost"], ["OXIDE", 1000, None],
                 ["TAIL", 1000, 3]]
    recipes = [["technology", "material", "input", "output"], ["SEP", "OXIDE", 0, 1],
               ["SEP", "TAIL", 0, 0.5]]
    plants = [["plant", "technology", "country", "capacity", "variable_cost"],
              ["Osaka", "SEP", "JPN", 120, 6]]
    demand = [["country", "material", "year", "quantity", "growth"],
              ["JPN", "OXIDE", 2026, 100, 0.1]]
    path = sweep_case(tmp_path, settings=settings, materials=materials, recipes=recipes,
                      existing_plants=plants, demand=demand)
    variations = [parse_vary(text) for text in (
        "demand.quantity=50,150", "materials.disposal_cost[material=TAIL]=0,20",
        "demand.growth=0.3")]
    runs = plan_runs(variations)
    inputs = load_inputs(path)
    persistent = PersistentRuns(inputs)
    warm = [persistent.solve(run) for run in runs]
    cold = [solve_run(inputs, run) for run in runs]
    for w, c in zip(warm, cold, strict=True):
        assert w.objective == pytest.approx(c.objective, rel=1e-6, abs=1e-6), w.run
    assert persistent.cold_runs == 1  # the growth
    assert len({round(r.objective, 6) for r in cold}) == len(runs)


# ---------------------------------------------------------------------------------------------
# Varied values keep the input's bounds (finite, below 1e15, the column's range), checked
# before any solve: exit 2 for --vary, exit 3 naming the sweeps row for the sheet


@pytest.mark.parametrize(("vary", "says"), [
    ("demand.quantity*=1e20", "scale factor 1e+20 takes demand.quantity on row 2 from 100 to "
                              "1e+22: expected a number >= 0 and below 1e15"),
    ("demand.quantity*=inf", "scale factor inf is not a finite number >= 0"),
    ("demand.quantity*=nan", "scale factor nan is not a finite number >= 0"),
    ("demand.quantity=1e300", "demand.quantity: expected a number >= 0 and below 1e15, got "
                              "1e+300"),
    ("demand.quantity=inf", "expected a number >= 0 and below 1e15, got inf"),
    ("dependence_limits.max_share*=5", "expected a share between 0 and 1"),
    ("settings.time_limit_s*=1e13", "scale factor 1e+13 takes settings.time_limit_s from 300 "
                                    "to 3e+15: expected a number > 0 and below 1e15"),
])
@pytest.mark.parametrize("cold", [False, True], ids=["", "cold"])
def test_vary_values_out_of_bounds_are_a_usage_error(tmp_path, vary, says, cold):
    out = tmp_path / "s.xlsx"
    result = run_cli("sweep", str(sweep_case(tmp_path)), "-o", str(out), "--vary", vary,
                     *(["--cold"] if cold else []))
    assert result.returncode == 2, result.stderr
    assert f"error: --vary '{vary}': " in result.stderr and says in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_sweeps_sheet_scale_out_of_bounds_names_the_values_cell(tmp_path):
    case = sweep_case(tmp_path, [["big", "demand", "quantity", "", "scale", "1, 1e20"]])
    result = run_cli("sweep", str(case), "-o", str(tmp_path / "s.xlsx"))
    assert result.returncode == 3, result.stderr
    assert "error: sheet 'sweeps', row 2, column 'values': scale factor 1e+20 takes " \
           "demand.quantity on row 2 from 100 to 1e+22: expected a number >= 0 and below " \
           "1e15" in result.stderr


BAD_SWEEPS = [  # one problem per row, rows 2-10
    ["a", "supplies", "price", "", "scale", "2"],
    ["b", "supply", "country", "", "scale", "2"],
    ["c", "supply", "price", "country", "scale", "2"],
    ["d", "supply", "price", "country=FRA", "scale", "2"],
    ["e", "supply", "price", "", "scale", "2, lots"],
    ["f", "dependence_limits", "max_share", "", "set", "0.5, 2"],
    ["g", "demand", "quantity", "", "scale", "1e20"],
    ["h", "demand", "quantity", "", "scale", "inf"],
    ["i", "settings", "currency", "", "set", "1"],
]


def test_every_sweeps_problem_is_reported_at_once_by_sweep_and_validate(tmp_path):
    case = sweep_case(tmp_path, BAD_SWEEPS)
    swept = run_cli("sweep", str(case), "-o", str(tmp_path / "s.xlsx"))
    validated = run_cli("validate", str(case))
    assert swept.returncode == validated.returncode == 3, swept.stderr + validated.stderr
    errors = [line for line in swept.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [line for line in validated.stderr.splitlines()
                      if line.startswith("error: ")]
    where = [line.split(":")[1].strip() for line in errors]
    assert where == [
        "sheet 'sweeps', row 2, column 'sheet'", "sheet 'sweeps', row 3, column 'column'",
        "sheet 'sweeps', row 4, column 'where'", "sheet 'sweeps', row 5, column 'where'",
        "sheet 'sweeps', row 6, column 'values'", "sheet 'sweeps', row 7, column 'values'",
        "sheet 'sweeps', row 8, column 'values'", "sheet 'sweeps', row 9, column 'values'",
        "sheet 'sweeps', row 10, column 'column'"], errors


def test_scaling_unlimited_keeps_it_unlimited():
    """inf x 0 would be nan: a blank (unlimited) max_quantity stays unlimited when scaled."""
    from optimizer.contract.inputs import Inputs
    from optimizer.contract.variations import apply_changes

    v = parse_vary("supply.max_quantity*=0")
    frame = pd.DataFrame({"max_quantity": [float("inf"), 5.0, None], "row": [2, 3, 4]},
                         dtype=object)
    inputs = Inputs(None, {}, {"supply": frame}, [])
    changed = apply_changes(inputs, [(v, 0.0)]).tables["supply"]["max_quantity"].tolist()
    assert changed == [float("inf"), 0.0, None]
def test_threads_cannot_vary_within_a_sweep(tmp_path):
    """HiGHS fixes its thread count once per process: every run after the first failed."""
    result = run_cli("sweep", str(sweep_case(tmp_path)), "--vary", "settings.threads=1,2")
    assert result.returncode == 2
    assert "'threads' cannot vary within a sweep" in result.stderr
    case = sweep_case(tmp_path, [["t", "settings", "threads", "", "set", "1, 2"]])
    result = run_cli("sweep", str(case))
    assert result.returncode == 3
    assert "sheet 'sweeps', row 2, column 'column'" in result.stderr


def test_sweep_size_is_printed_first_and_limited(tmp_path):
    case = sweep_case(tmp_path, [["limit", "dependence_limits", "max_share", "", "set",
                                  "0.1, 0.5, 0.9"]])
    out = tmp_path / "sweep.xlsx"
    refused = run_cli("sweep", str(case), "-o", str(out), "--max-runs", "3")
    assert refused.returncode == 2
    assert "4 runs, more than --max-runs 3" in refused.stderr and not out.exists()
    forced = run_cli("sweep", str(case), "-o", str(out), "--max-runs", "3", "--force",
                     "--jobs", "64")
    assert forced.returncode == 0, forced.stderr
    lines = forced.stderr.splitlines()
    assert lines[0].endswith(": 4 runs")
    assert "--jobs 64 capped to" in forced.stderr
    # stderr is a pipe here, not a terminal: plain progress lines
    assert "run 4/4 done (0 failed)" in lines


def test_a_sweep_above_10000_runs_is_refused_before_any_work(tmp_path):
    values = ", ".join(["1"] * 101)
    case = sweep_case(tmp_path, [["grid", "demand", "quantity", "", "scale", values],
                                 ["grid", "supply", "price", "", "scale", values]])
    result = run_cli("sweep", str(case), cwd=tmp_path)
    assert result.returncode == 2
    assert "10,202 runs, more than --max-runs 10,000" in result.stderr
    assert not (tmp_path / "outputs").exists()


def test_tornado_grows_with_its_bars_so_every_label_shows():
    assert tornado_height(3) == 290
    assert tornado_height(30) == 1100
    # every bar keeps the same room, whatever the number of bars
    assert tornado_height(30) - tornado_height(3) == 27 * (tornado_height(4) - tornado_height(3))


def frontier_result(vary: str, share: float, objective: float):
    v = parse_vary(vary)
    return RunResult(Run(v.label, ((v, share),)), "optimal", 0, objective)


def series_colours(path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        xml = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/"))
    series = "".join(re.findall(r"<c:ser>.*?</c:ser>", xml, flags=re.S))
    return set(re.findall(r'<a:srgbClr val="([0-9A-F]{6})"', series))


def test_frontier_draws_each_limit_in_its_consumers_colour(tmp_path):
    """The colours are the plan's: China's limit in China's red, the USA's in the USA's."""
    results = [frontier_result(f"dependence_limits.max_share[consumer={c}]=0.3,0.5", s,
                               100 - 10 * s) for c in ("CHN", "USA") for s in (0.3, 0.5)]
    colours = series_colours(write_sweep(results, tmp_path / "sweep.xlsx"))
    assert colours == {palette.CHINA_RED[1:], palette.colour("USA")[1:]}
    # two limits of one consumer would look alike: the spreadsheet's own colours then
    same = [frontier_result(f"dependence_limits.max_share[consumer=USA; material={m}]=0.3,0.5",
                            s, 100 - 10 * s) for m in ("A", "B") for s in (0.3, 0.5)]
    assert series_colours(write_sweep(same, tmp_path / "same.xlsx")) == set()


def test_frontier_draws_what_the_limits_cost_when_the_runs_measured_it(tmp_path):
    """With `--compare no_limits` the cost of independence is what the limits cost (world
    cost hides it: 0.4 of 130 bn USD on the base case), each point with its interval."""
    results = []
    for share, cost in ((0.5, 100.0), (0.3, 400.0)):
        r = frontier_result("dependence_limits.max_share[consumer=USA]=0.3,0.5", share,
                            10_000 + cost)
        r.headline = {"limits_cost": cost, "limits_cost_low": cost - 10,
                      "limits_cost_high": cost + 30}
        results.append(r)
    out = write_sweep(results, tmp_path / "sweep.xlsx")
    frontier = pd.read_excel(out, sheet_name="frontier", engine="calamine")
    assert list(frontier["limits_cost"]) == [100, 400]
    assert list(frontier["limits_cost_high"] - frontier["limits_cost_low"]) == [40, 40]
    with zipfile.ZipFile(out) as zf:
        chart = "".join(zf.read(n).decode() for n in zf.namelist()
                        if n.startswith("xl/charts/chart1"))
    assert "Cost of independence: what the limits cost" in chart
    assert "frontier!$K$2:$K$3" in chart  # the series reads the limits_cost column
    assert "<c:errBars>" in chart
    # without the measurement: world cost, as before, no error bars
    for r in results:
        r.headline = {}
    plain = write_sweep(results, tmp_path / "plain.xlsx")
    with zipfile.ZipFile(plain) as zf:
        chart = zf.read("xl/charts/chart1.xml").decode()
    assert "total discounted expected cost" in chart and "<c:errBars>" not in chart
