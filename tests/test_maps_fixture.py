"""A small Jining-shaped database for the ranking-map tests (no tests here; the builders are imported).

`build_geo_fixture` is the hand-made region tree of the geo unit tests: city 济宁 (370800) with 泗水 (370831,
townships 100/101/102 and a development-zone township 370899001000 whose code breaks the prefix) and
任城 (370811, townships 001/002); a second city 泰安 (370900) with 泰山区 (370902, township 001).
`build_page_fixture` is for the AppTest: the 11 real Jining county codes (so the shipped outlines match),
two townships each (泗水 three), one village per township, children and visits in recent months.
"""

from datetime import date

from sqlalchemy import insert

from data.db import get_engine, set_meta
from data.schema import child, create_schema, rebuild_closure, region, visit, worker_post
from queries.periods import Month

CITY, SISHUI, RENCHENG = "370800000000", "370831000000", "370811000000"
SISHUI_TOWNS = ["370831100000", "370831101000", "370831102000", "370899001000"]
RENCHENG_TOWNS = ["370811001000", "370811002000"]
TAIAN, TAISHAN, TAISHAN_TOWN = "370900000000", "370902000000", "370902001000"

GEO_REGIONS = [
    (CITY, "济宁市", "city", None),
    (SISHUI, "泗水县", "county", CITY),
    (RENCHENG, "任城区", "county", CITY),
    (SISHUI_TOWNS[0], "泗河街道", "township", SISHUI),
    (SISHUI_TOWNS[1], "济河街道", "township", SISHUI),
    (SISHUI_TOWNS[2], "泉林镇", "township", SISHUI),
    (SISHUI_TOWNS[3], "开发区乡", "township", SISHUI),  # development zone: parent link, not prefix
    (RENCHENG_TOWNS[0], "古槐街道", "township", RENCHENG),
    (RENCHENG_TOWNS[1], "济阳街道", "township", RENCHENG),
    (TAIAN, "泰安市", "city", None),
    (TAISHAN, "泰山区", "county", TAIAN),
    (TAISHAN_TOWN, "岱庙街道", "township", TAISHAN),
]

JINING_COUNTIES = [
    ("370811", "任城区"), ("370812", "兖州区"), ("370826", "微山县"), ("370827", "鱼台县"),
    ("370828", "金乡县"), ("370829", "嘉祥县"), ("370830", "汶上县"), ("370831", "泗水县"),
    ("370832", "梁山县"), ("370881", "曲阜市"), ("370883", "邹城市"),
]


def build_geo_fixture(url: str) -> str:
    engine = get_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(insert(region), [dict(code=c, name=n, level=lv, parent_code=p) for c, n, lv, p in GEO_REGIONS])
        rebuild_closure(conn)
    engine.dispose()
    return url


def build_page_fixture(url: str, today: date | None = None) -> str:
    """Regions as described above; in each of the last three complete months, children visited by pattern."""
    engine = get_engine(url)
    create_schema(engine)
    regions, children, posts, visits = [dict(code=CITY, name="济宁市", level="city", parent_code=None)], [], [], []
    months = [Month.of(today or date.today()).shift(-k) for k in (1, 2, 3)]
    for n, (prefix, name) in enumerate(JINING_COUNTIES):
        county = prefix + "000000"
        regions.append(dict(code=county, name=name, level="county", parent_code=CITY))
        for t in range(3 if prefix == "370831" else 2):
            town = f"{prefix}{100 + t}000"
            village = f"{prefix}{100 + t}201"
            regions.append(dict(code=town, name=f"{name[:2]}第{t + 1}镇", level="township", parent_code=county))
            regions.append(dict(code=village, name=f"{name[:2]}{t + 1}村", level="village", parent_code=town,
                                urban_rural="rural"))
            worker = f"w{village}"
            posts.append(dict(person_hash=worker, post="director", region_code=village,
                              started_on=date(2023, 1, 1), certified=False))
            for c in range(4):
                kid = f"c{village}{c}"
                children.append(dict(id_hash=kid, category="left_behind", village_code=village,
                                     enrolled_on=date(2024, 1, 1), assessment_due_on=date(2024, 1, 31)))
                for k, m in enumerate(months):
                    # Counties differ, and so do months, so ranks and rank changes are not all ties.
                    if (c + n + t + k) % 4 != 0 or c == 0:
                        visits.append(dict(visited_on=m.period.start, child_hash=kid, worker_hash=worker,
                                           mode="home"))
    with engine.begin() as conn:
        for table, rows in ((region, regions), (child, children), (worker_post, posts), (visit, visits)):
            conn.execute(insert(table), rows)
        rebuild_closure(conn)
        set_meta(conn, "data_version", "maps-fixture")
    engine.dispose()
    return url
