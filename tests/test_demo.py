"""The demo data set reproduces the published figures (domain.md) through the real indicator engine.

The expected values below are typed from domain.md's "Published figures", not computed by the
generator. The city demo is built once, pinned to a fixed day, into a temporary SQLite file.
"""

import sqlite3
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, insert, select, text

from data import schema
from data.db import get_engine, get_meta
from data.demo import JINING, Timeline, build_demo, generate_city, province_cities
from data.demo.spec import PROVINCE_TOTALS, SHANDONG_COUNTIES
from data.geo.boundaries import city_outlines, county_outlines
from data.demo.__main__ import main as demo_main
from data.ids import DEMO_KEY, hash_id, is_valid, key_fingerprint
from queries.engine import Scope, indicators

TODAY = date(2026, 11, 23)
LAST = "2026-10"  # the last complete month on TODAY: where the published figures hold
SEED = 20221
JINING_CODE = "370800000000"
SISHUI = "370831000000"
COUNTIES = {
    "370811000000": "任城区", "370812000000": "兖州区", "370826000000": "微山县", "370827000000": "鱼台县",
    "370828000000": "金乡县", "370829000000": "嘉祥县", "370830000000": "汶上县", "370831000000": "泗水县",
    "370832000000": "梁山县", "370881000000": "曲阜市", "370883000000": "邹城市",
}
CENTRES = {"370812000000", "370831000000", "370883000000", "370830000000", "370827000000"}  # 兖州 泗水 邹城 汶上 鱼台
DATE_COLUMNS = {
    "child": ("enrolled_on", "exited_on", "risk_assessed_on", "need_assessed_on"),
    "worker_post": ("started_on", "ended_on"), "station": ("built_on", "closed_on"),
    "visit": ("visited_on",), "training": ("trained_on",), "spending": ("month_start",),
}


def _url(path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    engine = get_engine(_url(path))
    summary = build_demo(engine, scale="city", seed=SEED, today=TODAY)
    yield engine, summary, path
    engine.dispose()


@pytest.fixture(scope="module")
def conn(demo):
    with demo[0].connect() as c:
        yield c


@pytest.fixture(scope="module")
def counties(conn):
    return indicators(conn, LAST, "county", scope=Scope.everything(), with_measures=True)


@pytest.fixture(scope="module")
def city(conn):
    return indicators(conn, LAST, "city", scope=Scope.everything(), with_measures=True).loc[JINING_CODE]


def _count(conn, sql: str, **params) -> int:
    return conn.execute(text(sql), params).scalar_one()


def _dump(conn, table) -> list:
    keys = [c for c in table.primary_key.columns] or list(table.columns)
    return conn.execute(select(table).order_by(*keys)).all()


# --- regions -----------------------------------------------------------------------------------

def test_region_counts_by_level(conn):
    rows = dict(conn.execute(select(schema.region.c.level, func.count()).group_by(schema.region.c.level)).all())
    assert rows == {"city": 1, "county": 11, "township": 156, "village": 4401}


def test_sishui_has_13_townships_and_403_villages(conn):
    sql = ("SELECT COUNT(*) FROM region_closure c JOIN region r ON r.code = c.descendant "
           "WHERE c.ancestor = :a AND r.level = :level")
    assert _count(conn, sql, a=SISHUI, level="township") == 13
    assert _count(conn, sql, a=SISHUI, level="village") == 403


def test_the_eleven_real_county_units(conn):
    rows = conn.execute(select(schema.region.c.code, schema.region.c.name, schema.region.c.parent_code)
                        .where(schema.region.c.level == "county")).all()
    assert {code: name for code, name, _ in rows} == COUNTIES
    assert {parent for _, _, parent in rows} == {JINING_CODE}
    assert conn.execute(select(schema.region.c.name).where(schema.region.c.code == JINING_CODE)).scalar_one() == "济宁市"


def test_codes_are_12_digits_and_follow_the_hierarchy(conn):
    frame = pd.DataFrame(conn.execute(select(schema.region)).mappings().all())
    assert frame["code"].str.fullmatch(r"\d{12}").all()
    villages = frame[frame["level"] == "village"]
    assert (villages["code"].str[:9] == villages["parent_code"].str[:9]).all()
    assert set(villages["urban_rural"]) == {"urban", "rural"}
    assert (villages["name"].str.endswith("社区") == (villages["urban_rural"] == "urban")).all()
    assert villages["name"].str.endswith(("村", "社区")).all()
    townships = frame[frame["level"] == "township"]
    assert townships["name"].str.endswith(("镇", "街道")).all()
    assert townships["code"].str.endswith("000").all()


def test_development_zone_township_follows_its_parent_link(conn):
    zone = conn.execute(select(schema.region).where(
        schema.region.c.level == "township", func.substr(schema.region.c.code, 1, 6) == "370871")).mappings().all()
    assert len(zone) == 1
    assert zone[0]["parent_code"] == "370811000000"  # 任城区, not a county coded 370871
    assert zone[0]["name"].startswith("济宁高新区") and zone[0]["name"].endswith("街道")
    sql = "SELECT COUNT(*) FROM region_closure WHERE ancestor = '370811000000' AND descendant LIKE '370871%'"
    assert _count(conn, sql) > 1  # the zone township and its villages are in 任城区's scope


def test_minor_population(conn):
    minors = dict(conn.execute(select(schema.region.c.code, schema.region.c.minor_population)
                               .where(schema.region.c.level.in_(("city", "county")))).all())
    assert minors[JINING_CODE] == pytest.approx(2_010_000, rel=0.01)
    assert minors[SISHUI] == pytest.approx(543_000 * 0.23, rel=0.01)
    assert sum(v for k, v in minors.items() if k != JINING_CODE) == minors[JINING_CODE]


# --- published figures through the indicator engine ---------------------------------------------

def test_sishui_published_figures(counties):
    s = counties.loc[SISHUI]
    assert s["children_total"] == 249 + 1036
    assert s["children_left_behind"] == 1036
    difficulty = ("children_orphan", "children_unsupported", "children_disabled_ill", "children_dibao",
                  "children_other_difficulty")
    assert sum(s[k] for k in difficulty) == 249
    assert s["townships"] == 13 and s["villages"] == 403
    assert s["township_station_coverage"] == 1.0
    assert s["township_supervisor_coverage"] == 1.0
    assert s["village_director_coverage"] == 1.0  # 403 directors for 403 villages
    assert s["villages_with_home"] == 158
    assert s["village_home_coverage"] == pytest.approx(158 / 403)
    assert s["county_centre_coverage"] == 1.0


def test_city_published_figures(city):
    assert city["townships"] == 156 and city["villages"] == 4401 and city["counties"] == 11
    assert city["townships_with_station"] == 156
    assert city["township_station_coverage"] == 1.0
    assert city["townships_with_supervisor"] == 156
    assert city["villages_with_home"] == 1038
    assert city["village_home_coverage"] == pytest.approx(1038 / 4401)
    assert city["county_centre_coverage"] == pytest.approx(5 / 11)
    assert 4380 <= city["villages_with_director"] <= 4401
    difficulty = sum(city[k] for k in ("children_orphan", "children_unsupported", "children_disabled_ill",
                                        "children_dibao", "children_other_difficulty"))
    assert difficulty == pytest.approx(12_000, rel=0.05)
    assert city["children_left_behind"] == pytest.approx(11_000, rel=0.05)
    assert city["children_dibao"] == max(city[k] for k in ("children_orphan", "children_unsupported",
                                                             "children_disabled_ill", "children_dibao",
                                                             "children_other_difficulty"))


def test_centres_only_where_published(counties):
    assert set(counties.index[counties["county_centre_coverage"] == 1.0]) == CENTRES
    assert set(counties.index[counties["county_centre_coverage"] == 0.0]) == set(COUNTIES) - CENTRES


def test_sishui_training_and_subsidy(conn):
    in_sishui = ("SELECT DISTINCT p.person_hash FROM worker_post p JOIN region_closure c "
                 "ON c.descendant = p.region_code WHERE c.ancestor = :county")
    rows = conn.execute(text(
        f"SELECT trained_on, course FROM training WHERE person_hash IN ({in_sishui}) "
        "AND trained_on BETWEEN :y0 AND :y1"), {"county": SISHUI, "y0": "2026-01-01", "y1": "2026-12-31"}).all()
    assert len(rows) == 580  # person-times
    assert len(set(rows)) == 15  # sessions
    subsidy = conn.execute(select(schema.budget.c.amount).where(
        schema.budget.c.county_code == SISHUI, schema.budget.c.year == 2026,
        schema.budget.c.fund_type == "director_subsidy")).scalar_one()
    assert subsidy == 1_080_000


def test_living_allowance_is_the_largest_fund(conn):
    frame = pd.DataFrame(conn.execute(select(schema.budget)).mappings().all())
    largest = frame.loc[frame.groupby(["county_code", "year"])["amount"].idxmax(), "fund_type"]
    assert set(largest) == {"living_allowance"}
    assert len(frame) == 11 * 3 * 5  # 11 counties × 2024-2026 × 5 fund types


def test_certified_share_is_plausible(city):
    assert 0.2 <= city["worker_certified_rate"] <= 0.35


# --- the story --------------------------------------------------------------------------------

def test_rates_are_fractions(conn):
    for level in ("city", "county", "township"):
        frame = indicators(conn, LAST, level, scope=Scope.everything())
        rates = [c for c in frame.columns if c.endswith(("coverage", "_rate", "completion", "timeliness"))]
        values = frame[rates].stack().dropna()
        assert ((values >= 0) & (values <= 1)).all(), level


def test_lagging_counties_tell_a_story(counties):
    visits = counties["visit_completion"]
    assert visits["370826000000"] < 0.85  # 微山县 lags on visits
    assert visits["370832000000"] < 0.88  # 梁山县 too
    ordinary = visits.drop(["370826000000", "370832000000", "370829000000"])
    assert (ordinary.between(0.9, 0.97)).all()
    assert counties.loc["370828000000", "assessment_timeliness"] < 0.9  # 金乡县 assesses late
    on_time = counties["assessment_timeliness"].drop(["370828000000", "370827000000"])
    assert (on_time >= 0.95).all()
    fiscal = counties["fund_execution_rate"] - counties["time_progress"]
    assert fiscal["370829000000"] < -0.1  # 嘉祥县 spends behind 序时进度
    assert (fiscal.drop("370829000000") > -0.1).all()
    assert counties.loc["370832000000", "training_rate"] < 0.8  # 梁山县 trains too few
    assert counties.loc["370832000000", "village_director_coverage"] < 1.0


def test_one_township_stops_reporting_visits(conn):
    frame = indicators(conn, LAST, "township", scope=Scope.everything(), with_measures=True)
    silent = frame[(frame["children_total"] > 0) & (frame["children_visited"] == 0)]
    assert len(silent) == 1
    earlier = indicators(conn, "2026-08", "township", scope=Scope.everything())
    assert earlier.loc[silent.index[0], "visit_completion"] > 0.5


def test_spring_festival_dip(conn):
    feb = indicators(conn, "2026-02", "city", scope=Scope.everything()).iloc[0]["visit_completion"]
    may = indicators(conn, "2026-05", "city", scope=Scope.everything()).iloc[0]["visit_completion"]
    assert feb < may - 0.05


def test_children_come_and_go_every_month(conn):
    for month in ("2025-03", "2025-09", "2026-06", LAST):
        row = indicators(conn, month, "city", scope=Scope.everything()).iloc[0]
        assert row["children_new"] > 0 and row["children_exited"] > 0, month


def test_no_date_after_today(conn):
    for table, columns in DATE_COLUMNS.items():
        for column in columns:
            latest = conn.execute(text(f"SELECT MAX({column}) FROM {table}")).scalar_one()
            assert latest is None or str(latest)[:10] <= TODAY.isoformat(), (table, column)


def test_history_spans_24_months(conn):
    first = _count(conn, "SELECT MIN(visited_on) FROM visit")
    last = _count(conn, "SELECT MAX(visited_on) FROM visit")
    assert str(first)[:7] == "2024-12" and str(last)[:7] == "2026-11"


def test_assessment_due_is_enrolment_plus_30_days(conn):
    frame = pd.DataFrame(conn.execute(select(schema.child.c.enrolled_on, schema.child.c.assessment_due_on,
                                             schema.child.c.risk_level, schema.child.c.risk_assessed_on)).all())
    due = pd.to_datetime(frame["assessment_due_on"]) - pd.to_datetime(frame["enrolled_on"])
    assert (due.dt.days == 30).all()
    assert (frame["risk_level"].isna() == frame["risk_assessed_on"].isna()).all()
    shares = frame["risk_level"].value_counts(normalize=True)
    assert shares["green"] > shares["yellow"] > shares["orange"] > shares["red"] > 0


def test_visit_modes_mostly_home(conn):
    shares = dict(conn.execute(text("SELECT mode, COUNT(*) FROM visit GROUP BY mode")).all())
    total = sum(shares.values())
    assert shares["home"] / total > 0.75 and shares["phone"] > 0 and shares["video"] > 0


# --- meta, identity, determinism ---------------------------------------------------------------

def test_meta_marks_the_demo(conn):
    assert get_meta(conn, "is_demo") == "1"
    assert get_meta(conn, "demo_seed") == str(SEED)
    assert get_meta(conn, "demo_scale") == "city"
    assert get_meta(conn, "id_key_fingerprint") == key_fingerprint(DEMO_KEY.encode())
    assert get_meta(conn, "data_version")
    log = conn.execute(select(schema.import_log.c.table_name, schema.import_log.c.imported_by)).all()
    assert {t for t, _ in log} == {t.name for t in schema.DATA_TABLES}
    assert {who for _, who in log} == {"演示数据生成器"}


@pytest.fixture(scope="module")
def generated():
    return generate_city(JINING, Timeline(TODAY), SEED)


def test_id_numbers_are_valid_and_stored_only_as_hashes(conn, generated):
    numbers = generated.id_numbers
    assert len(set(numbers)) == len(numbers)
    assert all(is_valid(n) for n in numbers[:: max(1, len(numbers) // 5000)])
    stored = set(conn.execute(select(schema.child.c.id_hash)).scalars())
    stored |= set(conn.execute(select(schema.worker_post.c.person_hash)).scalars())
    key = DEMO_KEY.encode()
    assert {hash_id(n, key) for n in numbers} == stored
    assert not any(n in stored for n in numbers[:100])


def _journal_mode(path) -> str:
    # A raw connection: data.db's engines switch a file to WAL as they open it.
    with sqlite3.connect(path) as raw:
        return raw.execute("PRAGMA journal_mode").fetchone()[0]


def test_a_build_into_an_empty_file_writes_once_and_leaves_wal(demo, tmp_path, monkeypatch):
    # The module's demo was built into a new file: WAL again afterwards, as every reader expects.
    assert _journal_mode(demo[2]) == "wal"
    from data.demo import build

    seen = []

    def write_all(conn, *args):
        seen.append(_journal_mode(path))  # from another connection, while the build's transaction is open
        conn.execute(schema.region.delete())
        conn.execute(insert(schema.region).values(code="110000000000", name="北京市", level="city"))

    monkeypatch.setattr(build, "_write_all", write_all)
    path = tmp_path / "fresh.sqlite"
    engine = get_engine(_url(path))
    build_demo(engine, scale="city", seed=SEED, today=TODAY)  # empty: a rollback journal, written once
    build_demo(engine, scale="city", seed=SEED, today=TODAY)  # holds data: stays in WAL, readers go on reading
    assert seen == ["delete", "wal"] and _journal_mode(path) == "wal"

    def fail(conn, *args):
        write_all(conn, *args)
        raise RuntimeError("生成中途失败")

    monkeypatch.setattr(build, "_write_all", fail)
    other = tmp_path / "failed.sqlite"
    engine2 = get_engine(_url(other))
    with pytest.raises(RuntimeError):
        build_demo(engine2, scale="city", seed=SEED, today=TODAY)
    assert _journal_mode(other) == "wal"  # switched back, and nothing written
    with engine2.connect() as c:
        assert c.execute(select(func.count()).select_from(schema.region)).scalar_one() == 0
    engine.dispose()
    engine2.dispose()


def test_same_seed_same_rows_and_replaces_old_data(conn, tmp_path):
    engine = get_engine(_url(tmp_path / "again.sqlite"))
    schema.create_schema(engine)
    with engine.begin() as c:
        c.execute(insert(schema.region).values(code="110000000000", name="旧数据", level="city"))
    build_demo(engine, scale="city", seed=SEED, today=TODAY)
    with engine.connect() as other:
        assert other.execute(select(func.count()).select_from(schema.region)
                             .where(schema.region.c.code == "110000000000")).scalar_one() == 0
        for table in (*schema.DATA_TABLES, schema.region_closure):
            assert _dump(other, table) == _dump(conn, table), table.name
    engine.dispose()


def test_another_seed_differs(generated):
    other = generate_city(JINING, Timeline(TODAY), SEED + 1)
    assert not generated.frames["child"]["id_hash"].equals(other.frames["child"]["id_hash"])
    assert not generated.frames["region"]["name"].equals(other.frames["region"]["name"])
    # the published figures do not depend on the seed
    assert len(other.frames["region"]) == len(generated.frames["region"])


def test_if_empty_leaves_existing_data_alone(demo, conn, capsys):
    before = get_meta(conn, "data_version")
    assert demo_main(["--db", _url(demo[2]), "--if-empty"]) == 0
    assert "已有数据" in capsys.readouterr().out
    with demo[0].connect() as fresh:
        assert get_meta(fresh, "data_version") == before


def test_command_refuses_to_overwrite_real_data(tmp_path, capsys):
    url = _url(tmp_path / "real.sqlite")
    engine = get_engine(url)
    schema.create_schema(engine)
    with engine.begin() as c:  # imported data: regions and no is_demo marker
        c.execute(insert(schema.region).values(code=JINING_CODE, name="济宁市", level="city"))
    assert demo_main(["--db", url]) == 2
    assert "--force" in capsys.readouterr().err
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(schema.region)).scalar_one() == 1
    engine.dispose()


def test_summary(demo):
    summary = demo[1]
    assert summary.levels == {"city": 1, "county": 11, "township": 156, "village": 4401}
    assert summary.last_complete == LAST
    assert 20_000 <= summary.on_roll <= 26_000
    assert summary.rows["visit"] > 400_000


def test_builds_the_same_on_postgresql(pg_url, conn):
    engine = get_engine(pg_url)
    build_demo(engine, scale="city", seed=SEED, today=TODAY)
    with engine.connect() as pg:
        for table in (schema.region, schema.child, schema.station, schema.budget):
            assert _dump(pg, table) == _dump(conn, table), table.name
        s = indicators(pg, LAST, "county", SISHUI, scope=Scope.everything()).loc[SISHUI]
        assert s["children_total"] == 1285 and s["village_director_coverage"] == 1.0
    engine.dispose()


# --- province scale: Shandong's real 16 cities and 136 county-level units ---------------------------

# Checked by hand against the 2023 行政区划代码 list.
SHANDONG_BY_HAND = {
    "370100000000": "济南市", "370200000000": "青岛市", "370800000000": "济宁市", "371700000000": "菏泽市",
    "370831000000": "泗水县", "370102000000": "历下区", "370614000000": "蓬莱区", "371122000000": "莒县",
    "371503000000": "茌平区", "371728000000": "东明县",
}


@pytest.fixture(scope="module")
def province():
    return province_cities(SEED)


def _county_rows(cities):
    return {c.code: (c.name, city.code) for city in cities for c in city.counties}


def test_province_is_shandongs_real_cities_and_counties(province):
    assert len(province) == 16
    assert [c.code for c in province] == sorted(c.code for c in province)
    counties = _county_rows(province)
    assert len(counties) == 136
    names = {c.code: c.name for c in province} | {code: name for code, (name, _) in counties.items()}
    assert {code: names.get(code) for code in SHANDONG_BY_HAND} == SHANDONG_BY_HAND
    assert all(parent[:4] == code[:4] for code, (_, parent) in counties.items())
    assert next(c for c in province if c.code == JINING_CODE) == JINING  # Jining as published, unchanged
    assert {len(c.counties) for c in province if c.code == "370100000000"} == {12}
    assert sum(c.townships for city in province for c in city.counties) == PROVINCE_TOTALS["townships"]
    assert sum(c.villages for city in province for c in city.counties) == PROVINCE_TOTALS["villages"]
    assert sum(c.difficulty + c.left_behind for city in province for c in city.counties) == PROVINCE_TOTALS["children"]
    assert all(c.kind in "区县市" and c.streets < c.townships for city in province for c in city.counties)


def test_province_is_deterministic_for_a_seed(province):
    assert province_cities(SEED) == province
    other = province_cities(SEED + 1)
    assert _county_rows(other) == _county_rows(province)  # the same real units
    assert [c.minors for c in other] != [c.minors for c in province]  # synthetic figures differ


def test_every_province_county_has_its_shipped_outline(province):
    counties = _county_rows(province)
    outlines = county_outlines(counties)
    assert dict(zip(outlines["code"], outlines["name"])) == {code: name for code, (name, _) in counties.items()}
    cities = city_outlines(c.code for c in province)
    assert dict(zip(cities["code"], cities["name"])) == {c.code: c.name for c in province}
    assert set(SHANDONG_COUNTIES["3708"]) == {(c.code[:6], c.name) for c in JINING.counties}


def _shrunk(seed):
    """The province with a handful of townships and villages per county: the same regions, built in seconds."""
    return [replace(city, counties=tuple(
        replace(c, townships=2, streets=1, villages=8, minors=2000, difficulty=6, left_behind=4, homes=2,
                vacancies=min(c.vacancies, 1), training_plan=None) for c in city.counties))
        for city in province_cities(seed)]


@pytest.fixture(scope="module")
def small_province(tmp_path_factory):
    path = tmp_path_factory.mktemp("province") / "province.sqlite"
    engine = get_engine(_url(path))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("data.demo.build.province_cities", _shrunk)
        summary = build_demo(engine, scale="province", seed=SEED, today=TODAY)
    yield engine, summary
    engine.dispose()


def test_province_region_table_lists_the_real_units(small_province, province):
    engine, summary = small_province
    assert summary.levels == {"city": 16, "county": 136, "township": 272, "village": 1088}
    with engine.connect() as c:
        rows = c.execute(select(schema.region.c.code, schema.region.c.name, schema.region.c.level,
                                schema.region.c.parent_code).where(schema.region.c.level.in_(("city", "county")))).all()
        assert get_meta(c, "demo_scale") == "province"
    cities = {code: name for code, name, level, _ in rows if level == "city"}
    counties = {code: (name, parent) for code, name, level, parent in rows if level == "county"}
    assert cities == {c.code: c.name for c in province}
    assert counties == _county_rows(province)
    names = cities | {code: name for code, (name, _) in counties.items()}
    assert {code: names[code] for code in SHANDONG_BY_HAND} == SHANDONG_BY_HAND


def test_province_map_draws_every_county(small_province):
    from queries import geo

    with small_province[0].connect() as c:
        frame = geo.map_regions(c, Scope.everything(), "county", None)
        qingdao = geo.map_regions(c, Scope.everything(), "county", "370200000000")
    assert len(frame) == 136 and len(qingdao) == 10
    shapes = geo.county_shapes(frame["region_code"])
    assert len(shapes.geojson["features"]) == 136 and shapes.missing == ()
