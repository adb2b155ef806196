"""周调度 queries on a hand-made fixture, on SQLite and PostgreSQL: week boundaries, pace, assessments, colours."""

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import insert

from data import kept
from data import schema
from data.db import get_engine
from data.schema import child, create_schema, rebuild_closure, region, visit, worker_post
from queries import engine as E
from queries import weekly
from queries.engine import OutOfScope, Scope
from queries.periods import Period
from queries.weekly import Comparison, Week

CITY = "370800000000"
K1, T1, V11, V12, T2, V21, T3, V31 = ("370831000000", "370831100000", "370831100201", "370831100202",
                                      "370831101000", "370831101201", "370831102000", "370831102201")
K2, T4, V41, T5, V51, T6, V61 = ("370830000000", "370830100000", "370830100201", "370830101000",
                                 "370830101201", "370830102000", "370830102201")
WEEK = "2026-W47"  # Monday 2026-11-16 … Sunday 2026-11-22; the week before is 11-09 … 11-15
ALL = Scope.everything()

REGIONS = [
    (CITY, "济宁市", "city", None),
    (K1, "泗水县", "county", CITY), (T1, "泗张镇", "township", K1), (V11, "甲村", "village", T1),
    (V12, "乙村", "village", T1), (T2, "济河街道", "township", K1), (V21, "丙社区", "village", T2),
    (T3, "金庄镇", "township", K1), (V31, "丁村", "village", T3),
    (K2, "汶上县", "county", CITY), (T4, "南站镇", "township", K2), (V41, "戊村", "village", T4),
    (T5, "郭楼镇", "township", K2), (V51, "己村", "village", T5),
    (T6, "康驿镇", "township", K2), (V61, "庚村", "village", T6),
]


def d(text):
    return date.fromisoformat(text)


# id, village, enrolled, exited, risk, risk assessed, need assessed
CHILDREN = [
    ("a", V11, "2026-01-10", None, "green", "2026-01-12", "2026-01-12"),
    ("b", V11, "2026-03-01", None, "red", "2026-03-05", "2026-03-05"),
    ("c", V12, "2026-10-23", None, None, None, None),            # due 11-22 = Sunday: 0 days left
    ("d", V12, "2026-10-22", None, "yellow", "2026-10-25", None),  # due 11-21: 1 day overdue
    ("e", V21, "2026-11-20", None, None, "2026-11-23", "2026-11-21"),  # risk assessed after Sunday
    ("f", V21, "2026-05-01", "2026-11-22", None, None, None),    # exited on Sunday: off the roll
    ("g", V31, "2025-01-01", None, None, None, None),            # due 2025-01-31: before the look-back
    ("h", V41, "2026-03-01", None, "green", "2026-03-02", None),  # due 03-31: 236 days overdue
    ("i", V11, "2026-11-23", None, None, None, None),            # enrolled the Monday after
    ("j", V51, "2025-10-23", None, None, None, None),            # due 2025-11-22 = Sunday − 365: kept
    ("k", V51, "2025-10-22", None, None, None, None),            # due 2025-11-21: outside look-back
]

VISITS = [
    ("2026-11-16", "a"),  # Monday of the week
    ("2026-11-15", "a"),  # Sunday of the week before
    ("2026-11-09", "a"),  # Monday of the week before; first day of the 14-day window
    ("2026-11-22", "b"),  # Sunday of the week
    ("2026-11-23", "b"),  # the Monday after: counted nowhere
    ("2026-11-18", "d"),
    ("2026-11-08", "c"),  # before both weeks, but in November
    ("2026-11-02", "g"),  # 金庄镇's only visit: silent for 20 days at Sunday
    ("2026-11-20", "f"),  # a child who exits on Sunday was still visited this week
    ("2026-11-12", "h"),
    ("2026-11-09", "j"),  # 郭楼镇's only visit, on the first day of the 14-day window
    # Spring, for the month-end week 2026-W22 (Sunday 05-31; last Sunday 05-24): a and b are visited in
    # April, b only after the 24th; in May only a, after the 24th.
    ("2026-04-05", "a"),
    ("2026-04-28", "b"),
    ("2026-05-26", "a"),
]

# person, post, region, started, ended
POSTS = [
    ("p1", "director", V11, "2020-01-01", None),
    ("p2", "director", V12, "2020-01-01", "2026-11-22"),  # leaves on Sunday: vacant on Sunday
    ("p3", "director", V21, "2020-01-01", "2026-06-30"),
    ("p4", "director", V21, "2026-11-23", None),          # starts after Sunday
    ("p5", "director", V41, "2020-01-01", None),
    ("p6", "director", V51, "2020-01-01", None),
    ("s1", "supervisor", T1, "2020-01-01", None),
]


def build(url: str) -> None:
    engine = get_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        # The module's database serves both variants in turn: each starts from nothing.
        for table in (*schema.KEPT_TABLES.values(), schema.meta, visit, worker_post, child, schema.region_closure,
                      region):
            conn.execute(table.delete())
        conn.execute(insert(region), [dict(code=c, name=n, level=lv, parent_code=p) for c, n, lv, p in REGIONS])
        rebuild_closure(conn)
        conn.execute(insert(child), [
            dict(id_hash=h, category="orphan", village_code=v, enrolled_on=d(en),
                 exited_on=d(ex) if ex else None, risk_level=risk,
                 risk_assessed_on=d(ra) if ra else None, need_assessed_on=d(na) if na else None,
                 assessment_due_on=d(en) + pd.Timedelta(days=30))
            for h, v, en, ex, risk, ra, na in CHILDREN])
        conn.execute(insert(visit), [dict(visited_on=d(day), child_hash=h, worker_hash="w", mode="home")
                                     for day, h in VISITS])
        conn.execute(insert(worker_post), [
            dict(person_hash=p, post=post, region_code=r, started_on=d(s), ended_on=d(e) if e else None,
                 certified=False) for p, post, r, s, e in POSTS])
    engine.dispose()


@pytest.fixture(scope="module", params=["rows", "kept"])
def engine(module_db_url, request):
    """The hand-made fixture, loaded once per backend: every test here only reads it. `rows`: every figure is
    read from the rows; `kept`: the kept measures are computed (as the loader would, on 2026-11-25), so the
    week's visits, pace and silent townships and the Sundays' colours come from them (asserted below)."""
    build(module_db_url)
    engine = get_engine(module_db_url)
    if request.param == "kept":
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("WEIBAO_TODAY", "2026-11-25")
            with engine.begin() as connection:
                kept.rebuild(connection)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine):
    with engine.connect() as connection:
        yield connection


def test_the_kept_variant_reads_the_kept_measures(conn, engine, request):
    # A silent fallback to the rows would make the kept variant an empty repetition.
    from_kept = weekly._kept_weeks(conn, ALL, Week.parse(WEEK), None, "township")
    state = E.kept_state(conn)
    if "kept" in request.node.callspec.id:
        assert from_kept is not None and date(2026, 11, 15) in state.sundays
        assert all(E.keeps(state, p, E.DEFAULT_VISIT_RULE)
                   for c in weekly.colour_plan(WEEK) if c.compared for p in (c.now, c.before))
    else:
        assert from_kept is None and state is None


def test_week_parsing_and_labels():
    wk = Week.parse(WEEK)
    assert (wk.monday, wk.sunday) == (date(2026, 11, 16), date(2026, 11, 22))
    assert wk.label == "2026-W47（11月16日—11月22日）"
    assert wk.previous.key == "2026-W46"
    assert wk.days_left == 8  # 11-23 … 11-30
    assert wk.pace_mode == weekly.PACE_WEEKLY
    assert Week.parse("2026-W48").days_left == 1  # Sunday 11-29: only 11-30 is left
    assert Week.parse("2026-W48").pace_mode == weekly.PACE_DAILY
    assert Week.parse("2026-W22").pace_mode == weekly.PACE_OVER  # Sunday 05-31 is the month's last day
    assert Week.parse("2021-W01").monday == date(2021, 1, 4)  # ISO: the week holding 4 January
    assert Week.parse("2026-W53").monday == date(2026, 12, 28)  # 2026 has 53 ISO weeks
    with pytest.raises(ValueError, match="周的格式"):
        Week.parse("2026-47")
    with pytest.raises(ValueError, match="没有这一周"):
        Week.parse("2025-W53")


def test_weeks_offered_and_default():
    monday = date(2026, 11, 23)
    assert weekly.weeks_until(monday, 3) == ["2026-W47", "2026-W46", "2026-W45"]
    assert weekly.last_complete_week(monday) == "2026-W47"
    sunday = date(2026, 11, 22)
    # On a Sunday the week ends today, so it is offered, but still being logged: not the default.
    assert weekly.weeks_until(sunday, 1) == ["2026-W47"]
    assert weekly.last_complete_week(sunday) == "2026-W46"


def test_visits_this_week_last_week_and_pace(conn):
    frame = weekly.visits_by_township(conn, ALL, WEEK, K1)
    got = frame[["visits_this_week", "visits_last_week", "change", "children_on_roll",
                 "children_lacking", "visits_missing"]].to_dict("index")
    assert got == {
        # this week: a 11-16, d 11-18, b 11-22 (b 11-23 is next week); last week: a 11-09, a 11-15
        # on the roll at 11-22: a b c d (i enrolled 11-23); all visited in November
        T1: dict(visits_this_week=3, visits_last_week=2, change=1, children_on_roll=4,
                 children_lacking=0, visits_missing=0),
        # f (exited Sunday) was visited 11-20; e, enrolled 11-20, still lacks November's visit
        T2: dict(visits_this_week=1, visits_last_week=0, change=1, children_on_roll=1,
                 children_lacking=1, visits_missing=1),
        T3: dict(visits_this_week=0, visits_last_week=0, change=0, children_on_roll=1,
                 children_lacking=0, visits_missing=0),
    }
    assert frame.loc[T2, "county_name"] == "泗水县"
    assert frame.loc[T2, "pace_needed"] == pytest.approx(0.875)  # 1 missing × 7 ÷ 8 days left
    assert frame.loc[T2, "per_day_needed"] == pytest.approx(0.125)  # 1 missing ÷ 8 days
    assert frame.loc[T1, "at_this_pace"] == pytest.approx(3 * 8 / 7)  # 3 this week, kept up for 8 days
    totals = weekly.visit_totals(frame, WEEK)
    assert (totals["visits_this_week"], totals["visits_last_week"], totals["change"]) == (4, 2, 2)
    assert totals["pace_needed"] == pytest.approx(0.875)
    assert (totals["pace_mode"], totals["month_end"], totals["days_left"]) == ("weekly", date(2026, 11, 30), 8)
    assert totals["enough"] is True  # 4 a week × 8 days = 32 ≥ 1 missing × 7


def test_pace_for_the_city_and_a_month_that_is_over(conn):
    frame = weekly.visits_by_township(conn, ALL, WEEK, None)
    assert len(frame) == 6
    totals = weekly.visit_totals(frame, WEEK)
    # e and k lack November's visit: 2 × 7 ÷ 8
    assert totals["visits_missing"] == 2
    assert totals["pace_needed"] == pytest.approx(1.75)
    assert Week.parse("2026-W44").days_left == 29  # Sunday 1 November
    over = weekly.visits_by_township(conn, ALL, "2026-W53", None)  # Sunday 2027-01-03
    assert over["days_left"].iloc[0] == 28
    # A week whose Sunday is the month's last day leaves no days: no pace (null, not infinite).
    may = weekly.visits_by_township(conn, ALL, "2026-W22", None)  # Sunday 2026-05-31
    assert may["pace_needed"].isna().all() and may["per_day_needed"].isna().all()
    over = weekly.visit_totals(may, "2026-W22")
    # on the roll at 05-31: a b (T1), f (T2, enrolled 05-01), g, h, j, k; in May only a was visited
    assert (over["pace_mode"], over["pace_needed"], over["per_day_needed"]) == ("over", None, None)
    assert (over["visits_missing"], over["children_lacking"], over["enough"]) == (6, 6, False)


def test_one_day_left_says_what_is_left_not_seven_times_it(conn):
    # 2026-W48: Monday 11-23 … Sunday 11-29, one day (11-30) left. This week only b on 11-23; last week
    # a 11-16, d 11-18, f 11-20, b 11-22. On the roll at 11-29 (f exited 11-22; i enrolled 11-23):
    # e, i and k have no November visit, so 3 visits are missing.
    frame = weekly.visits_by_township(conn, ALL, "2026-W48", None)
    totals = weekly.visit_totals(frame, "2026-W48")
    assert (totals["visits_this_week"], totals["visits_last_week"]) == (1, 4)
    assert (totals["visits_missing"], totals["children_lacking"], totals["days_left"]) == (3, 3, 1)
    assert totals["pace_mode"] == "daily"
    assert totals["pace_needed"] is None  # not 3 × 7 = 21 "a week"
    assert frame["pace_needed"].isna().all()
    assert totals["per_day_needed"] == pytest.approx(3.0)  # 3 missing ÷ 1 day
    assert totals["daily_average"] == pytest.approx(1 / 7)
    assert totals["enough"] is False  # 1 a week × 1 day < 3 missing × 7
    assert frame.loc[T1, "visits_missing"] == 1 and frame.loc[T1, "at_this_pace"] == pytest.approx(1 / 7)


def test_pending_assessments_counts_and_days(conn):
    frame = weekly.pending_assessments(conn, ALL, WEEK, None)
    got = {code: tuple(frame.at[code, c] for c in ("due_soon", "days_left", "overdue", "days_overdue"))
           for code in frame.index}
    assert got == {
        T1: (1, 0, 1, 1),           # c due on Sunday (0 days left); d due Saturday (1 day overdue)
        T2: (1, 28, 0, pd.NA),      # e: due 12-20; risk assessment dated after Sunday does not count
        T4: (0, pd.NA, 1, 236),     # h: due 03-31, need assessment missing: 30+31+30+31+31+30+31 + 22 = 236 days
        T5: (0, pd.NA, 1, 365),     # j due exactly at the look-back edge is kept; k one day older is not
    }
    assert list(frame.columns) == ["region_name", "county_name", "due_soon", "overdue", "days_left",
                                   "days_overdue"]
    only_k1 = weekly.pending_assessments(conn, ALL, WEEK, K1)
    assert set(only_k1.index) == {T1, T2}


def test_vacant_villages(conn):
    frame = weekly.vacant_villages(conn, ALL, WEEK, None)
    got = [(r.village_code, r.last_left, r.days_vacant, r.new_this_week) for r in frame.itertuples()]
    assert got == [
        (V21, date(2026, 6, 30), 145, False),  # 30 June → 22 Nov: 31+31+30+31+22; next director starts 11-23
        (V12, date(2026, 11, 22), 0, True),    # the post ends on Sunday itself
        (V61, None, pd.NA, False),             # never had a director (then by code)
        (V31, None, pd.NA, False),
    ]
    assert frame.iloc[0]["township_name"] == "济河街道" and frame.iloc[0]["county_name"] == "泗水县"
    assert weekly.vacant_villages(conn, Scope((K2,)), WEEK, None)["village_code"].tolist() == [V61]
    # The week before, 乙村's director was still in post.
    before = weekly.vacant_villages(conn, ALL, "2026-W46", K1)
    assert before["village_code"].tolist() == [V21, V31]


def test_silent_townships(conn):
    frame = weekly.silent_townships(conn, ALL, WEEK, None)
    got = {code: (frame.at[code, "last_visit"], frame.at[code, "days_silent"]) for code in frame.index}
    # 14 days up to Sunday = 11-09 … 11-22: 郭楼镇's visit on 11-09 counts; 金庄镇's 11-02 does not.
    assert got == {T6: (None, pd.NA), T3: (date(2026, 11, 2), 20)}
    assert list(frame.index) == [T6, T3]  # never visited first
    assert list(weekly.silent_townships(conn, Scope((K2,)), WEEK, None).index) == [T6]


def test_colour_plan_compares_like_with_like():
    def plan(week):
        return {c.key: c for c in weekly.colour_plan(week)}

    nov22, nov15 = Period(date(2026, 11, 1), date(2026, 11, 22)), Period(date(2026, 11, 1), date(2026, 11, 15))
    mid = plan(WEEK)
    assert mid["village_director_coverage"] == Comparison("village_director_coverage", "stock", nov22, nov15)
    assert mid["training_rate"] == Comparison("training_rate", "year", nov22, nov15)
    # 走访完成率 builds up during the month: on 11-22 it is not judged yet, so it is not compared at all.
    assert mid["visit_completion"] == Comparison("visit_completion", "month", None, None, weekly.MID_MONTH)
    assert "children_total" not in mid and "time_progress" not in mid  # not coloured
    # Sunday 2026-05-31 ends May: the whole of May against the whole of April.
    may = plan("2026-W22")["visit_completion"]
    assert (may.now, may.before) == (Period(date(2026, 5, 1), date(2026, 5, 31)),
                                     Period(date(2026, 4, 1), date(2026, 4, 30)))
    # Sunday 2027-02-28 ends February: the whole of a 28-day month against the 31 days of January.
    feb = plan("2027-W08")["visit_completion"]
    assert (feb.now, feb.before) == (Period(date(2027, 2, 1), date(2027, 2, 28)),
                                     Period(date(2027, 1, 1), date(2027, 1, 31)))
    # Sunday 2027-01-03 and Sunday 2026-12-27: year-to-date figures restarted on 1 January in between.
    new_year = plan("2026-W53")
    assert new_year["training_rate"].skipped == weekly.NEW_YEAR
    assert new_year["fund_execution_rate"].skipped == weekly.NEW_YEAR
    assert new_year["village_director_coverage"].before == Period(date(2026, 12, 1), date(2026, 12, 27))


def test_colour_changes(conn):
    frame = weekly.colour_changes(conn, ALL, WEEK, K1)
    got = [(r.region_code, r.key, r.before, r.now, r.worse) for r in frame.itertuples()]
    assert got == [
        # worse first, then in registry order
        # 乙村's director left on Sunday: 2/2 villages → 1/2
        (T1, "village_director_coverage", "green", "red", True),
        # due by 10-16: a, b, both on time (2/2); due by 10-23: c and d join, unassessed (2/4)
        (T1, "assessment_timeliness", "green", "red", True),
        # Not (T1, visit_completion, red, green): month to date a and c of a b c d were visited by 11-15 (2/4)
        # and all four by 11-22 — the month filling up, not a township getting better.
    ]
    assert frame.loc[0, "before_end"] == date(2026, 11, 15) and frame.loc[0, "now_end"] == date(2026, 11, 22)
    assert frame.loc[0, "value_before"] == pytest.approx(1.0) and frame.loc[0, "value_now"] == pytest.approx(0.5)


def test_colour_changes_at_a_month_end_compare_whole_months(conn):
    frame = weekly.colour_changes(conn, ALL, "2026-W22", K1)  # Sunday 05-31; last Sunday 05-24
    got = [(r.region_code, r.key, r.before, r.now, r.before_end, r.now_end) for r in frame.itertuples()]
    assert got == [
        # cohort due by 04-24 (05-24 − 30): a, b, on time (2/2); by 05-01 f (enrolled 05-01) joins unassessed (2/3)
        ("370831000000", "assessment_timeliness", "green", "red", date(2026, 5, 24), date(2026, 5, 31)),
        # 泗张镇, a and b on the roll: all of April both visited (2/2); all of May only a (1/2). Against 05-24
        # (0/2, a's May visit came on 05-26) or 04-24 (1/2) it would read differently: whole months only.
        (T1, "visit_completion", "green", "red", date(2026, 4, 30), date(2026, 5, 31)),
    ]
    assert frame["value_before"].tolist() == pytest.approx([1.0, 1.0])
    assert frame["value_now"].tolist() == pytest.approx([2 / 3, 0.5])
    assert frame["worse"].all()
    # The week before ends 05-24, mid-month: 走访完成率 is not compared, however it has grown since 05-17.
    assert "visit_completion" not in set(weekly.colour_changes(conn, ALL, "2026-W21", K1)["key"])


def test_review_headline(conn):
    out = weekly.review(conn, ALL, WEEK, K1)
    h = out["headline"]
    assert (h["visits_this_week"], h["visits_last_week"], h["change"]) == (4, 2, 2)
    assert (h["due_soon"], h["overdue"]) == (2, 1)
    assert (h["vacant"], h["never_staffed"], h["vacant_new"]) == (2, 1, 1)
    assert (h["silent"], h["townships"]) == (1, 3)
    assert (h["colour_worse"], h["colour_better"]) == (2, 0)
    assert [c.key for c in out["plan"] if c.skipped == weekly.MID_MONTH] == ["visit_completion"]
    assert h["last_visit_day"] == date(2026, 11, 23)


def test_last_visit_day_is_the_regions(conn):
    # 汶上县's latest visits: h on 11-12 and j on 11-09; 泗水县's b on 11-23 must not stand for it.
    assert weekly.last_visit_day(conn, ALL, K2) == date(2026, 11, 12)
    assert weekly.review(conn, ALL, WEEK, K2)["headline"]["last_visit_day"] == date(2026, 11, 12)
    assert weekly.last_visit_day(conn, ALL) == date(2026, 11, 23)


def test_out_of_scope_region_is_refused(conn):
    with pytest.raises(OutOfScope):  # refused, never an empty (or a widened) table
        weekly.visits_by_township(conn, Scope((K2,)), WEEK, K1)


def test_visits_by_county_equal_the_sum_of_their_townships(conn):
    towns = weekly.visits_by_township(conn, ALL, WEEK, None)
    counties = weekly.visits_by_township(conn, ALL, WEEK, None, level="county")
    assert counties.loc[K1, "visits_this_week"] == 4 and counties.loc[K2, "visits_last_week"] == 2
    assert counties.loc[K1, "county_name"] == "济宁市"  # the parent's name
    for col in ("visits_this_week", "visits_last_week", "visits_missing"):
        assert counties[col].sum() == towns[col].sum()
    review = weekly.review(conn, ALL, WEEK, None)
    assert list(review["by_area"].index) == [K2, K1]


def test_the_warnings_name_a_region_without_visits_plainly():
    from exports.figures import weekly_warnings

    wk = weekly.Week.parse(WEEK)
    base = {"visits_this_week": 0, "visits_last_week": 0, "silent": 0}
    assert weekly_warnings({**base, "last_visit_day": None}, wk) == [
        "所选区域还没有任何走访记录：走访台账可能尚未导入，以下走访数字均为 0。"]
    (late,) = weekly_warnings({**base, "last_visit_day": date(2026, 11, 12)}, wk)
    assert late.startswith("所选区域最近一条走访记录的日期是 2026-11-12，早于所选周的周日 2026-11-22")
    assert weekly_warnings({**base, "last_visit_day": date(2026, 11, 23)}, wk) == []
