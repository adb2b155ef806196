"""The kept monthly measures give exactly the numbers computed from the rows, after every kind of load."""

from datetime import date

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import text

from data import kept, measures
from data.db import get_engine
from data.load import load_files
from queries import engine as E
from queries.periods import Month, Period
from queries.registry import RegistryError, load_registry
from tests.fixtures import tiny
from tests.fixtures.faults import fingerprint, kept_is_exact

# Villages: their visits from the kept month-end village rows, the other families from the rows.
LEVELS = ("city", "county", "township", "village")
RED2 = E.VisitRule({"red": 2, "orange": 1, "yellow": 1, "green": 1, "unassessed": 1})
LENIENT = E.VisitRule({"red": 1, "orange": 0, "yellow": 0, "green": 0, "unassessed": 0})
BEYOND = E.VisitRule({"red": measures.MAX_VISITS_KEPT + 1, "orange": 1, "yellow": 1, "green": 1, "unassessed": 1})


def both(conn, periods, level, rule=E.DEFAULT_VISIT_RULE, region=None, scope=E.Scope.everything()):
    """(as the engine answers, computed from the rows only) for the same call."""
    E._memo(conn).clear()  # the engine memoizes per connection: each answer is computed afresh
    answered = E.measures_over(conn, periods, level, region, scope, rule)
    E._memo(conn).clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(E, "keeps", lambda *_args: False)
        from_rows = E.measures_over(conn, periods, level, region, scope, rule)
    E._memo(conn).clear()
    return answered, from_rows


def assert_same(conn, periods, rule=E.DEFAULT_VISIT_RULE, expect_kept=None, **kw):
    state = E.kept_state(conn)
    used = [E.keeps(state, p, rule) for p in periods]
    if expect_kept is not None:
        assert used == [expect_kept] * len(periods), used  # a silent fallback would make the check empty
    for level in LEVELS:
        answered, from_rows = both(conn, periods, level, rule, **kw)
        pd.testing.assert_frame_equal(answered, from_rows, check_dtype=False, obj=f"{level} {rule}")
    return used


def kept_months(conn) -> list[Period]:
    state = E.kept_state(conn)
    return [Month(i // 12, i % 12 + 1).period for i in range(state.first, state.last + 1)]


def kept_tables(url) -> dict:
    return {k: v for k, v in fingerprint(url).items() if k.startswith("kept_")}


def book(folder, name, sheets: dict) -> str:
    """A workbook of the given sheets {sheet: rows}, headers from the tiny fixture, every cell text."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, rows in sheets.items():
        ws = wb.create_sheet(sheet)
        ws.append(list(tiny.SHEETS[sheet][0]))
        for row in rows:
            ws.append([None if v == "" else v for v in row])
    path = folder / name
    wb.save(path)
    return path


def _loaded(db_url, tmp_path):
    engine = get_engine(db_url)
    result = load_files([tiny.write_workbook(tmp_path)], engine)
    assert result.ok, [str(p) for p in result.errors]
    return engine, db_url, tmp_path


@pytest.fixture
def loaded(db_url, tmp_path, id_key):
    engine, url, folder = _loaded(db_url, tmp_path)
    yield engine, url, folder
    engine.dispose()


def test_every_kept_month_and_level_matches_the_rows(loaded):
    engine, url, _ = loaded
    with engine.connect() as conn:
        months = kept_months(conn)
        assert months[0].start == date(2022, 1, 1) and len(months) >= 36  # two years before the last date loaded
        assert_same(conn, months, expect_kept=True)
    counts = {name: rows for name, (rows, _digest) in kept_tables(url).items()}
    assert counts["kept_children"] > 0 and counts["kept_network"] > 0 and counts["kept_visits"] > 0


def test_partial_periods_use_the_kept_months_only_when_nothing_was_loaded_after_them(loaded):
    engine, _, _ = loaded
    with engine.connect() as conn:
        # Rows dated after these days exist (the last is 2024-07-31): computed from the rows.
        assert assert_same(conn, [Period.as_of(date(2024, 6, d)) for d in (1, 15, 29)], expect_kept=False)
        # Nothing after these: kept, with the 30-day cutoff's own month read to its day (2024-08-10 → 07-11
        # takes c03, enrolled 07-01; 2024-03-05 → 02-04 takes the February part of the window).
        days = [date(2024, 8, 10), date(2024, 8, 31), date(2026, 11, 15), date(2024, 12, 31)]
        assert_same(conn, [Period.as_of(d) for d in days[:3]], expect_kept=True)
        assert_same(conn, [Month(2024, m).period for m in (1, 2, 3, 7, 12)], expect_kept=True)


@pytest.mark.parametrize("rule", [RED2, LENIENT], ids=["red-twice", "only-red-needed"])
def test_visit_rules_within_the_kept_counts(loaded, rule):
    engine, _, _ = loaded
    with engine.connect() as conn:
        assert_same(conn, [Month(2024, 5).period, Month(2024, 6).period], rule, expect_kept=True)


def test_a_rule_asking_more_visits_than_kept_is_computed_from_the_rows(loaded):
    engine, _, _ = loaded
    with engine.connect() as conn:
        assert_same(conn, [Month(2024, 6).period], BEYOND, expect_kept=False)


def test_reload_changes_nothing_and_replace_by_key_keeps_them_exact(loaded):
    engine, url, folder = loaded
    before = kept_tables(url)
    assert load_files([tiny.write_workbook(folder, "again.xlsx")], engine).ok
    assert kept_tables(url) == before

    children = [list(r) for r in tiny.CHILDREN]
    children[4][1], children[4][2] = "孤儿", tiny.B1a  # c05 moves county and category
    children[0][4] = "2024-06-20"  # c01 exits within June
    workers = [list(r) for r in tiny.WORKERS]
    workers[6][4] = "2024-06-15"  # P6 leaves A1a before E
    workers[4][5] = "否"  # P4 loses the certificate
    spending = [list(r) for r in tiny.SPENDING]
    spending[0][-1] = 123456
    changed = book(folder, "changed.xlsx", {"儿童": children, "工作人员": workers, "资金支出": spending})
    result = load_files([changed], engine)
    assert result.ok, [str(p) for p in result.errors]
    assert kept_tables(url) != before
    assert kept_is_exact(url)
    with engine.connect() as conn:
        assert_same(conn, kept_months(conn), expect_kept=True)


def test_a_visit_load_refreshes_its_months_exactly(loaded):
    engine, url, folder = loaded
    visits = [("2024-03-03", tiny.c07, tiny.P6, "入户"), ("2024-03-04", tiny.c07, tiny.P6, "电话"),
              ("2024-06-02", tiny.c01, tiny.P1, "入户"), ("2024-06-03", tiny.c13, tiny.P6, "入户")]
    before = kept_tables(url)
    result = load_files([book(folder, "visits.xlsx", {"走访": visits})], engine)
    assert result.ok, [str(p) for p in result.errors]
    after = kept_tables(url)
    assert after["kept_visits"] != before["kept_visits"]
    assert {k: v for k, v in after.items() if k != "kept_visits"} == {
        k: v for k, v in before.items() if k != "kept_visits"}
    assert kept_is_exact(url)
    with engine.connect() as conn:
        assert_same(conn, kept_months(conn), RED2, expect_kept=True)
        assert_same(conn, kept_months(conn), expect_kept=True)


def test_a_refused_load_leaves_them_as_they_were(loaded):
    engine, url, folder = loaded
    before = kept_tables(url)
    bad = [("2024-06-02", tiny.c01, tiny.P1, "入户"), ("2024-13-40", tiny.c01, tiny.P1, "入户")]
    result = load_files([book(folder, "bad.xlsx", {"走访": bad})], engine)
    assert not result.ok
    assert kept_tables(url) == before


def test_the_demo_city_kept_equals_its_rows(demo_url):
    engine = get_engine(demo_url)
    with engine.connect() as conn:
        last = Month.of(date.fromisoformat(conn.exec_driver_sql(
            "SELECT value FROM meta WHERE key = 'demo_today'").scalar()))
        trend = [last.shift(-k).period_until() for k in range(13)]
        answered, from_rows = both(conn, trend, "county")
        pd.testing.assert_frame_equal(answered, from_rows, check_dtype=False)
        state = E.kept_state(conn)
        assert all(E.keeps(state, p, E.DEFAULT_VISIT_RULE) for p in trend)
        for level in ("city", "township"):
            answered, from_rows = both(conn, trend[:2], level)
            pd.testing.assert_frame_equal(answered, from_rows, check_dtype=False, obj=level)
    engine.dispose()


def test_a_county_scope_reads_only_its_own_kept_rows(loaded):
    engine, _, _ = loaded
    with engine.connect() as conn:
        scope = E.Scope((tiny.A,), (tiny.C,))
        for level in ("county", "township"):
            answered, from_rows = both(conn, [Month(2024, 6).period], level, scope=scope)
            pd.testing.assert_frame_equal(answered, from_rows, check_dtype=False)
            assert set(answered.index.get_level_values("region_code")) <= {tiny.A, tiny.A1, tiny.A2}


def test_a_misspelt_numerator_is_refused(tmp_path):
    text = (load_registry.__wrapped__.__globals__["REGISTRY_PATH"]).read_text(encoding="utf-8")
    broken = tmp_path / "indicators.yaml"
    broken.write_text(text.replace("numerator: workers_trained", "numerator: workers_traned", 1), encoding="utf-8")
    with pytest.raises(RegistryError, match="workers_traned"):
        load_registry(broken)


def test_every_family_query_gives_exactly_its_declared_measures():
    # The raw SQL and data/measures.py must agree (the engine also checks at run time).
    for family in measures.FAMILIES:
        sql = E.sql(family)
        for name in measures.shown(family):
            assert f"AS {name}" in sql, (family, name)
    assert set(kept.FAMILY_SOURCES) == set(measures.FAMILIES)


def test_rows_written_without_refreshing_are_never_read_stale(loaded):
    engine, _, _ = loaded
    with engine.begin() as conn:  # a writer that bypasses the loader: new version, kept measures untouched
        conn.exec_driver_sql("DELETE FROM visit")
        conn.exec_driver_sql("UPDATE meta SET value = 'hand-edited' WHERE key = 'data_version'")
    with engine.connect() as conn:
        assert E.kept_state(conn) is None
        answered = E.indicators(conn, "2024-06", "county", scope=E.Scope.everything())
    assert (answered["visit_completion"].fillna(0) == 0).all()


def test_an_older_database_is_computed_from_rows_until_the_command_keeps_its_measures(tmp_path, capsys):
    from data.kept_cli import main
    from tests.fixtures.direct import load_direct

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = get_engine(url)
    load_direct(engine)  # as a database made before the kept measures existed
    with engine.connect() as conn:
        assert E.kept_state(conn) is None
        before = E.indicators(conn, "2024-06", "county", scope=E.Scope.everything())
    assert main(["--db", url]) == 0
    assert "已更新" in capsys.readouterr().out
    with engine.connect() as conn:
        assert E.keeps(E.kept_state(conn), Month(2024, 6).period, E.DEFAULT_VISIT_RULE)
        pd.testing.assert_frame_equal(E.indicators(conn, "2024-06", "county", scope=E.Scope.everything()), before)
    engine.dispose()
    assert main(["--db", f"sqlite:///{tmp_path / 'missing.sqlite'}"]) == 1


def test_an_older_database_gets_the_indexes_added_since(db_url):
    """A database made before an index was declared (here: 周调度's by village and due date, and the enrolment
    index with the timeliness columns) gets it from python -m data.kept_cli (and the loader's create_schema),
    only once, and loses the retired indexes they replace."""
    from sqlalchemy import inspect

    from data import schema
    from data.kept_cli import main
    from tests.fixtures.direct import load_direct

    engine = get_engine(db_url)
    load_direct(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_child_village_due"))
        conn.execute(text("DROP INDEX ix_child_enrolled_parts"))
        # As an earlier version made them: the enrolment index without the columns it now carries, and the
        # village index the due-date one replaced.
        conn.execute(text("CREATE INDEX ix_child_enrolled ON child (enrolled_on)"))
        conn.execute(text("CREATE INDEX ix_child_village ON child (village_code)"))
        assert "ix_child_village_due" not in {i["name"] for i in inspect(conn).get_indexes("child")}
    assert main(["--db", db_url]) == 0
    with engine.connect() as conn:
        found = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("child")}
    assert found == {
        "ix_child_village_due": ["village_code", "assessment_due_on"],
        "ix_child_enrolled_parts": ["enrolled_on", "village_code", "risk_assessed_on", "need_assessed_on",
                                    "assessment_due_on"],
    }  # the retired ones dropped
    assert schema.create_schema(engine) == []  # nothing left to add
    engine.dispose()


@pytest.fixture
def loaded_in_august(db_url, tmp_path, id_key, monkeypatch):
    # Today a few days after the tiny data's last date (2024-07-31): the weekly review's Sundays lie inside it.
    monkeypatch.setenv("WEIBAO_TODAY", "2024-08-05")
    engine, url, folder = _loaded(db_url, tmp_path)
    yield engine, url, folder
    engine.dispose()


def test_the_weekly_reviews_sundays_are_kept_exactly(loaded_in_august):
    engine, url, folder = loaded_in_august
    with engine.connect() as conn:
        state = E.kept_state(conn)
        # Worked out by hand: the Sundays after 2024-08-05 − 28 weeks (2024-01-22) and before 2024-07-31, less
        # 2024-03-31 and 2024-06-30, each their month's last day (the month's own row answers them).
        expected = [date(2024, 1, 28)] + [d for d in pd.date_range("2024-02-04", "2024-07-28", freq="7D").date
                                          if d not in (date(2024, 3, 31), date(2024, 6, 30))]
        assert sorted(state.sundays) == expected and len(expected) == 25
        sundays = [Period.as_of(d) for d in expected]
        assert_same(conn, sundays, expect_kept=True)
        assert_same(conn, sundays[-6:], RED2, expect_kept=True)
        # A Saturday inside the same months is not kept: computed from the rows.
        assert_same(conn, [Period.as_of(date(2024, 6, 29))], expect_kept=False)
    # A visit load into June refreshes June's Sundays too, and only the visit measures.
    visits = [("2024-06-02", tiny.c01, tiny.P1, "入户"), ("2024-06-09", tiny.c13, tiny.P6, "入户")]
    before = kept_tables(url)
    assert load_files([book(folder, "june.xlsx", {"走访": visits})], engine).ok
    after = kept_tables(url)
    assert after["kept_visits"] != before["kept_visits"] and after["kept_children"] == before["kept_children"]
    assert kept_is_exact(url)
    with engine.connect() as conn:
        assert_same(conn, [Period.as_of(date(2024, 6, d)) for d in (2, 9, 16, 23)], expect_kept=True)


def test_a_database_of_the_earlier_layout_is_computed_from_rows_then_rebuilt(loaded):
    from data.kept_cli import main

    engine, url, _ = loaded
    with engine.begin() as conn:  # as the first layout left it: a `month` column, no layout mark
        conn.exec_driver_sql("DROP TABLE kept_funds")
        conn.exec_driver_sql("CREATE TABLE kept_funds (region_code VARCHAR(12) NOT NULL, month DATE NOT NULL, "
                             "fund_budget FLOAT NOT NULL, fund_spent_ytd FLOAT NOT NULL, "
                             "PRIMARY KEY (region_code, month))")
        conn.exec_driver_sql("DELETE FROM meta WHERE key = 'kept_layout'")
    with engine.connect() as conn:
        assert E.kept_state(conn) is None  # never read in the old layout: computed from the rows
        before = E.indicators(conn, "2024-06", "county", scope=E.Scope.everything())
    assert main(["--db", url]) == 0
    with engine.connect() as conn:
        assert E.keeps(E.kept_state(conn), Month(2024, 6).period, E.DEFAULT_VISIT_RULE)
        pd.testing.assert_frame_equal(E.indicators(conn, "2024-06", "county", scope=E.Scope.everything()), before)
    assert kept_is_exact(url)


def test_the_demo_citys_weekly_review_from_kept_equals_its_rows(demo_url, monkeypatch):
    from queries import weekly

    engine = get_engine(demo_url)
    with engine.connect() as conn:
        today = date.fromisoformat(conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'demo_today'").scalar())
        monkeypatch.setenv("WEIBAO_TODAY", today.isoformat())
        offered = [weekly.Week.parse(w) for w in weekly.weeks_until(today)]
        # The newest and the oldest week offered, and those whose week or week before spans two months.
        crossing = [w for w in offered if w.monday.month != w.sunday.month
                    or w.previous.monday.month != w.previous.sunday.month]
        weeks = list(dict.fromkeys([offered[0], offered[-1], *crossing[:4]]))
        assert len(weeks) >= 4
        scope = E.Scope.everything()

        def review(week):
            E._memo(conn).clear()
            return {"township": weekly.visits_by_township(conn, scope, week.key),
                    "county": weekly.visits_by_township(conn, scope, week.key, level="county"),
                    "silent": weekly.silent_townships(conn, scope, week.key),
                    "changes": weekly.colour_changes(conn, scope, week.key)}

        for week in weeks:
            assert weekly._kept_weeks(conn, scope, week, None, "township") is not None, week
            kept_view = review(week)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(weekly, "_kept_weeks", lambda *_a: None)
                patch.setattr(E, "keeps", lambda *_a: False)
                rows_view = review(week)
            for name, frame in kept_view.items():
                pd.testing.assert_frame_equal(frame, rows_view[name], check_dtype=False, obj=f"{week} {name}")
    engine.dispose()


def test_visits_before_the_kept_months_still_count_in_the_freshness_rows(loaded):
    from queries.catalog import TABLE_LABELS, freshness

    engine, url, folder = loaded
    with engine.connect() as conn:
        first = E.kept_state(conn).first
        before = freshness(conn, E.Scope.everything()).set_index("table_name")["current_rows"]
    assert first == 2022 * 12  # January 2022: two years before the last date loaded (2024-07-31)
    old = [("2021-12-15", tiny.c01, tiny.P1, "入户"), ("2021-11-02", tiny.c09, tiny.P3, "电话")]
    result = load_files([book(folder, "old.xlsx", {"走访": old})], engine)
    assert result.ok, [str(p) for p in result.errors]
    with engine.connect() as conn:
        after = freshness(conn, E.Scope.everything()).set_index("table_name")["current_rows"]
        county = freshness(conn, E.Scope((tiny.A,))).set_index("table_name")["current_rows"]
        with pytest.MonkeyPatch.context() as patch:  # the same counts from the rows
            patch.setattr(E, "kept_state", lambda _conn: None)
            from queries import catalog
            patch.setattr(catalog, "kept_state", lambda _conn: None)
            E._memo(conn).clear()
            county_rows = freshness(conn, E.Scope((tiny.A,))).set_index("table_name")["current_rows"]
    assert after[TABLE_LABELS["visit"]] == before[TABLE_LABELS["visit"]] + 2
    assert county[TABLE_LABELS["visit"]] == county_rows[TABLE_LABELS["visit"]]


def test_villages_unvisited_from_kept_equal_the_rows(loaded, demo_url):
    from queries import topics_visits

    def both_ways(conn, scope, month, region=None):
        E._memo(conn).clear()
        answered = topics_visits.unvisited_by_village(conn, scope, month, region)
        assert E.visits_kept(conn, [Month.parse(month).period], "village") is not None
        E._memo(conn).clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(topics_visits, "visits_kept", lambda *_a, **_k: None)
            from_rows = topics_visits.unvisited_by_village(conn, scope, month, region)
        E._memo(conn).clear()
        pd.testing.assert_frame_equal(answered, from_rows, check_dtype=False)
        return answered

    engine, _, _ = loaded
    with engine.connect() as conn:
        june = both_ways(conn, E.Scope.everything(), "2024-06")
        assert len(june) > 0
        both_ways(conn, E.Scope((tiny.A,), (tiny.C,)), "2024-06", tiny.A)
        # The month in progress on 2024-07-31's data is not the month's row: not answered at village level.
        assert E.visits_kept(conn, [Period.as_of(date(2024, 7, 14))], "village") is None
    demo = get_engine(demo_url)
    with demo.connect() as conn:
        today = date.fromisoformat(conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'demo_today'").scalar())
        for month in (Month.of(today).shift(-1), Month.of(today).shift(-7)):
            assert len(both_ways(conn, E.Scope.everything(), str(month))) > 100
        both_ways(conn, E.Scope.everything(), str(Month.of(today)))  # the month in progress
    demo.dispose()


def test_the_demo_citys_reporting_table_from_kept_equals_its_rows(demo_url, monkeypatch):
    # 各单位报送情况: new children and training (and visits) per unit from the kept rows, against every figure
    # read from the rows, on the demo city (posts in several villages, ended posts, trainings of ex-holders).
    from queries import reporting

    engine = get_engine(demo_url)
    with engine.connect() as conn:
        today = date.fromisoformat(conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'demo_today'").scalar())
        monkeypatch.setenv("WEIBAO_TODAY", today.isoformat())
        months = [Month.of(today), Month.of(today).shift(-1), Month.of(today).shift(-2), Month(today.year - 1, 1)]
        city = E.scoped_columns(conn, "top_regions", {})["code"][0]
        cases = [(E.Scope.everything(), None)]
        counties = conn.execute(text("SELECT code FROM region WHERE parent_code = :city ORDER BY code"),
                                {"city": city}).scalars().all()
        cases.append((E.Scope((counties[0],)), None))
        for month in months:
            for scope, region in cases:
                for level in ("county", "township"):
                    E._memo(conn).clear()
                    assert E.report_parts(conn, month.period_until(), level, region, scope) is not None, str(month)
                    kept_view = reporting.per_unit(conn, scope, str(month), region, level=level)
                    E._memo(conn).clear()
                    with pytest.MonkeyPatch.context() as patch:
                        patch.setattr(reporting, "report_parts", lambda *_a: None)
                        patch.setattr(reporting, "_visits_kept", lambda *_a: None)
                        rows_view = reporting.per_unit(conn, scope, str(month), region, level=level)
                    assert len(kept_view) > 0
                    pd.testing.assert_frame_equal(kept_view, rows_view, check_dtype=False,
                                                  obj=f"{month} {scope.roots} {level}")
    engine.dispose()


def test_the_last_visit_of_a_ledger_that_stopped_before_the_kept_months(loaded):
    # 丙县 (Z) gets one child, enrolled 2021-03-01 and visited only on 2021-12-15, before the kept months
    # (from January 2022): the kept rows hold no visit for it, so the latest visit comes from the rows — for a
    # county viewer, for a city viewer asking for 丙县, and for a county viewer asking for the city above.
    from queries.catalog import last_visit

    engine, url, folder = loaded
    cz = tiny.with_check("37083220210301015")
    sheets = {"儿童": [(cz, "孤儿", tiny.Z1a, "2021-03-01", "", "", "", "")],
              "走访": [("2021-12-15", cz, tiny.P1, "入户")]}
    result = load_files([book(folder, "stopped.xlsx", sheets)], engine)
    assert result.ok, [str(p) for p in result.errors]
    with engine.connect() as conn:
        params = E.scope_params(conn, E.Scope((tiny.Z,)), None)
        kept_day = E.scoped(conn, "last_visit_kept", params).iloc[0]["last_day"]
        assert kept_day is None or pd.isna(kept_day) or kept_day == 0  # nothing in the kept months
        assert last_visit(conn, E.Scope((tiny.Z,))) == date(2021, 12, 15)
        assert last_visit(conn, E.Scope.everything(), tiny.Z) == date(2021, 12, 15)
        assert last_visit(conn, E.Scope((tiny.Z,)), tiny.C) == date(2021, 12, 15)
        assert last_visit(conn, E.Scope((tiny.Z,)), tiny.Z1a) == date(2021, 12, 15)
        # 甲县 (A) has June and July 2024 visits: answered from the kept rows, as from the rows
        kept_answer = last_visit(conn, E.Scope.everything(), tiny.A)
        with pytest.MonkeyPatch.context() as patch:
            from queries import catalog
            patch.setattr(catalog, "kept_state", lambda _conn: None)
            E._memo(conn).clear()
            assert last_visit(conn, E.Scope.everything(), tiny.A) == kept_answer
            assert last_visit(conn, E.Scope((tiny.Z,)), tiny.C) == date(2021, 12, 15)
    assert kept_answer is not None and kept_answer.year == 2024


def freshness_both(conn, scope, used: list):
    """(as catalog.freshness answers, counted from the rows only) for one scope; `used` gets the :kept it bound."""
    from queries import catalog

    def spy(c, name, params, *rest):
        if name == "freshness":
            used.append(params["kept"])
        return real(c, name, params, *rest)

    real = catalog.scoped
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catalog, "scoped", spy)
        E._memo(conn).clear()
        answered = catalog.freshness(conn, scope)
        E._memo(conn).clear()
        patch.setattr(catalog, "kept_state", lambda _conn: None)
        from_rows = catalog.freshness(conn, scope)
    E._memo(conn).clear()
    return answered, from_rows


def test_the_row_counts_from_kept_rows_equal_the_rows_for_every_kept_root(loaded):
    """By hand for township A1 (甲一镇: itself and villages A1a, A1b, A1c): 4 regions, children c01–c08, c13, c14
    (10), posts P1 ×2, P2, P6 (4), its workstation and two homes (3), trainings of P1, P2 and P6 (3: P1 once,
    although two posts); then every kept region alike, after a reload and a replace-by-key that moves a child
    and ends a post; several roots are counted from the rows."""
    engine, url, folder = loaded

    def check():
        with engine.connect() as conn:
            roots = [r for (r,) in conn.execute(text(
                "SELECT code FROM region WHERE level IN ('city', 'county', 'township') ORDER BY code"))]
            assert len(roots) >= 6
            for root in roots:
                used = []
                answered, from_rows = freshness_both(conn, E.Scope((root,)), used)
                assert used == [1, 0], root  # the first from kept_rows, the second from the rows
                pd.testing.assert_frame_equal(answered, from_rows, obj=root)
            answered, from_rows = freshness_both(conn, E.Scope.everything(), [])
            pd.testing.assert_frame_equal(answered, from_rows, obj="everything")

    check()
    with engine.connect() as conn:
        E._memo(conn).clear()
        from queries.catalog import freshness
        a1 = freshness(conn, E.Scope((tiny.A1,))).set_index("table_name")["current_rows"]
    assert a1[["区划", "儿童", "工作人员", "阵地", "培训"]].tolist() == [4, 10, 4, 3, 3]
    assert load_files([tiny.write_workbook(folder, "again.xlsx")], engine).ok
    check()
    children = [list(r) for r in tiny.CHILDREN]
    children[4][2] = tiny.B1a  # c05 moves from A1b to county B
    workers = [list(r) for r in tiny.WORKERS]
    workers[3][2] = tiny.B1a  # P3 also holds a post in B1a now: P3's training counts there too
    result = load_files([book(folder, "changed.xlsx", {"儿童": children, "工作人员": workers})], engine)
    assert result.ok, [str(p) for p in result.errors]
    assert kept_is_exact(url)
    check()
    with engine.connect() as conn:
        E._memo(conn).clear()
        b1 = freshness(conn, E.Scope((tiny.B1,))).set_index("table_name")["current_rows"]
        a1 = freshness(conn, E.Scope((tiny.A1,))).set_index("table_name")["current_rows"]
    assert a1["儿童"] == 9 and b1["儿童"] == 3  # c11, c12 and c05
    assert b1["培训"] == 3  # P4, P5 and now P3
