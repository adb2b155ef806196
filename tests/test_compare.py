"""Comparisons: a county ranks among its own city's counties, not among every county in scope."""

import pytest
from sqlalchemy import insert

from data.db import get_engine
from data.schema import rebuild_closure, region
from queries.compare import peer_rank
from queries.engine import Scope
from tests.fixtures.direct import load_direct
from tests.fixtures.tiny import A, C, MONTH

OTHER_CITY, OTHER_COUNTY = "370900000000", "370902000000"


@pytest.fixture
def two_cities(db_url):
    """The tiny set (city 测试市 with 甲县, 乙区, 丙县) plus a second city with one county of its own."""
    engine = get_engine(db_url)
    load_direct(engine)
    with engine.begin() as conn:
        conn.execute(insert(region), [
            {"code": OTHER_CITY, "name": "另一市", "level": "city", "parent_code": None},
            {"code": OTHER_COUNTY, "name": "另一区", "level": "county", "parent_code": OTHER_CITY},
        ])
        rebuild_closure(conn)
    yield engine
    engine.dispose()


def test_county_ranks_among_its_own_citys_counties(two_cities):
    with two_cities.connect() as conn:
        ranks = peer_rank(conn, Scope.everything(), MONTH, A, ["children_total", "visit_completion"])
    # 测试市 has three counties (甲县, 乙区, 丙县); 另一区 belongs to 另一市 and is no peer.
    assert ranks["children_total"][2] == 3
    # visit_completion: 丙县 has no children (null), so two counties are ranked.
    assert ranks["visit_completion"][1:] == (2, 3)


def test_city_has_no_peer_rank(two_cities):
    with two_cities.connect() as conn:
        assert peer_rank(conn, Scope.everything(), MONTH, C, ["children_total"]) == {}
