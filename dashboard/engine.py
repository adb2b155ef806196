"""The dashboard's one bridge to queries/: cached calls keyed on the database, data version and viewer scope."""

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from data.db import describe, get_engine, resolve_url
from queries import catalog
from queries.engine import Scope, indicators
from queries.periods import Month

TTL = 600


class DataUnavailable(RuntimeError):
    """The database cannot be read; carries a Chinese message for the page."""


def db_url() -> str:
    return resolve_url(None)


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    return get_engine(url)


def _read(fn, *args):
    try:
        with _engine(db_url()).connect() as conn:
            return fn(conn, *args)
    except SQLAlchemyError as err:
        raise DataUnavailable(
            f"无法读取数据库 {describe(db_url())}：{type(err).__name__}。"
            "请确认已导入数据（python -m data.load）或已生成演示数据（python -m data.demo）。"
        ) from err


@st.cache_data(ttl=5, max_entries=4, show_spinner=False)
def data_version(url: str) -> str:
    """Read often and cheaply: every other cache key includes it, so an import refreshes the pages."""
    return _read(catalog.data_version)


def version() -> str:
    return data_version(db_url())


@st.cache_data(ttl=TTL, max_entries=4, show_spinner=False)
def _meta(url: str, version: str) -> dict:
    def read(conn):
        return {
            "demo": catalog.is_demo(conn),
            "months": [str(m) for m in catalog.months_available(conn)],
            "freshness": catalog.freshness(conn),
        }
    return _read(read)


def meta() -> dict:
    """Demo flag, months with data and freshness for the current data version."""
    return _meta(db_url(), version())


@st.cache_data(ttl=TTL, max_entries=512, show_spinner=False)
def _indicators(url: str, version: str, roots: tuple | None, month: str, level: str,
                region: str | None, with_measures: bool) -> pd.DataFrame:
    return _read(lambda conn: indicators(conn, Month.parse(month), level, region,
                                         scope=Scope(roots), with_measures=with_measures))


def indicator_frame(scope: Scope, month: str, level: str, region: str | None = None,
                    with_measures: bool = False) -> pd.DataFrame:
    """Indicators for every region of `level` under `region`, as the report prints them."""
    return _indicators(db_url(), version(), scope.roots, month, level, region, with_measures)


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _regions(url: str, version: str, roots: tuple | None, level: str, under: str | None) -> pd.DataFrame:
    return _read(lambda conn: catalog.regions(conn, level, under, Scope(roots)))


def regions(scope: Scope, level: str, under: str | None = None) -> pd.DataFrame:
    """Regions of a level (under a region) that the viewer may see."""
    return _regions(db_url(), version(), scope.roots, level, under)
