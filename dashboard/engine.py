"""The dashboard's one bridge to queries/: cached calls keyed on the database, data version and viewer scope."""

import importlib
import logging
import threading
import time
from collections import OrderedDict

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from data import settings
from data.db import describe, get_engine, is_timeout, missing_file, resolve_url, statement_timeout_ms
from queries import catalog
from queries.engine import Scope, indicator_frame_for

log = logging.getLogger(__name__)


def _lenient(name: str):
    # For values needed where a bad one cannot be said on a page (st.cache_data's arguments at import, the
    # warmer's thread): the default then, while _read() refuses every page with the Chinese message.
    try:
        return settings.read(name)
    except settings.SettingError:
        return settings.declared(name).value


TTL = _lenient("WEIBAO_CACHE_TTL")  # seconds a computed view is kept
MAX_ENTRIES = _lenient("WEIBAO_CACHE_MAX_ENTRIES")
VERSION_TTL = _lenient("WEIBAO_DATA_VERSION_TTL")  # seconds before the data version is read again

# What viewers asked for lately, so that after an import the same views are recomputed before anyone
# waits for them. Keys hold region codes and months only, never rows.
_recent: OrderedDict = OrderedDict()
_recent_lock = threading.Lock()


class DataUnavailable(RuntimeError):
    """The database cannot be read; carries a Chinese message for the page."""


def db_url() -> str:
    return resolve_url(None)


@st.cache_resource(show_spinner=False)
def _engine(url: str, timeout_ms: int | None = None):
    # The dashboard never writes: opened read-only by construction, and no statement runs past the limit
    # (WEIBAO_STATEMENT_TIMEOUT_MS), so one runaway query cannot hold the server.
    limit = statement_timeout_ms() if timeout_ms is None else timeout_ms
    return get_engine(url, read_only=True, timeout_ms=limit)


def _read(fn):
    missing = missing_file(db_url())
    if missing:
        raise DataUnavailable(f"数据库文件不存在：{missing}。运行 make run 会自动生成演示数据；"
                              "导入真实台账请用 python -m data.load。")
    try:
        # Every tunable, not only this read's: a bad WEIBAO_* value is named on every page, never guessed at.
        settings.check()
        limit = statement_timeout_ms()
        with _engine(db_url(), limit).connect() as conn:
            return fn(conn)
    except settings.SettingError as err:
        raise DataUnavailable(f"看板设置有误：{err}请改正后重启看板。") from None
    except SQLAlchemyError as err:
        if is_timeout(err):
            log.warning("statement stopped at the time limit (%d ms)", limit)
            raise DataUnavailable(
                f"查询超过 {limit / 1000:g} 秒未完成，已中止。请缩小区域或月份范围后重试；"
                "经常出现时请联系管理员。") from err
        # The driver's English goes to the log; the page says it in Chinese (a schema or table gone,
        # the server down: the viewer cannot tell them apart anyway).
        log.warning("database %s unreadable: %s", describe(db_url()), err)
        raise DataUnavailable(
            f"无法读取数据库 {describe(db_url())}。"
            "请确认已导入数据（python -m data.load）或已生成演示数据（python -m data.demo）。"
        ) from err


@st.cache_data(ttl=VERSION_TTL, max_entries=4, show_spinner=False)
def _data_version(url: str) -> str:
    return _read(catalog.data_version)


def version() -> str:
    """Read often and cheaply: every other cache key includes it, so an import refreshes the pages."""
    return _data_version(db_url())


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _call(url: str, version: str, path: str, roots: tuple | None, peers: tuple | None, args: tuple, kwargs: tuple):
    module, name = path.rsplit(".", 1)
    fn = getattr(importlib.import_module(module), name)
    return _read(lambda conn: fn(conn, Scope(roots, peers), *args, **dict(kwargs)))


def ask(fn, scope: Scope, *args, **kwargs):
    """Call a queries/ function `fn(conn, scope, *args, **kwargs)` through the cache.

    The viewer's whole scope (roots and peers) is part of the cache key, so one viewer's rows never reach another.
    """
    key = (f"{fn.__module__}.{fn.__qualname__}", scope.roots, scope.peers, tuple(args), tuple(sorted(kwargs.items())))
    url = db_url()
    result = _call(url, version(), *key)
    _remember(url, key)  # only once it ran: a refused request (OutOfScope) is never replayed by the warmer
    return result


def _frozen(value):
    """A hashable twin of a call's arguments (lists become tuples) for the replay list's keys."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def _remember(url: str, key: tuple) -> None:
    frozen = _frozen((url, key))
    keep = _lenient("WEIBAO_WARM_RECENT")  # calls remembered for replay after an import
    with _recent_lock:
        _recent[frozen] = (url, key)
        _recent.move_to_end(frozen)
        while len(_recent) > keep:
            _recent.popitem(last=False)


def warm_once(seen: tuple | None) -> tuple:
    """If the data changed since `seen` (database, version), recompute the recent calls on it for the new
    version; returns what it saw now."""
    url = db_url()
    current = (url, _read(catalog.data_version))
    if seen is not None and seen[0] == url and current != seen:
        with _recent_lock:
            keys = [key for key_url, key in _recent.values() if key_url == url]
        started = time.perf_counter()
        for key in reversed(keys):  # most recent first: the view someone is likeliest to open again
            try:
                _call(url, current[1], *key)
            except Exception:  # noqa: BLE001  (one stale view, e.g. a month no longer loaded, must not stop the rest)
                log.warning("could not warm %s", key[0], exc_info=True)
        log.info("warmed %d cached views for data version %s in %.1f s", len(keys), current[1],
                 time.perf_counter() - started)
    return current


def _warm_forever() -> None:
    seen = None
    while True:
        try:
            seen = warm_once(seen)
        except DataUnavailable:  # no database yet (or not reachable): the pages already say so
            seen = None
        except Exception:  # noqa: BLE001  (a warming failure must never stop the thread or reach a viewer)
            log.exception("cache warming failed")
        time.sleep(_lenient("WEIBAO_WARM_EVERY"))  # seconds between checks of the data version


@st.cache_resource(show_spinner=False)
def start_warmer() -> threading.Thread:
    """One background thread per server: after each import it replays what viewers looked at lately."""
    thread = threading.Thread(target=_warm_forever, name="weibao-cache-warmer", daemon=True)
    thread.start()
    return thread


def meta(scope: Scope | None = None) -> dict:
    """Demo flag and months with data inside the viewer's scope (default: filters.viewer_scope())."""
    if scope is None:
        from dashboard import filters  # here, not at the top: filters imports this module

        scope = filters.viewer_scope()
    return ask(catalog.overview_meta, scope)


def indicator_frame(scope: Scope, month: str, level: str, region: str | None = None,
                    with_measures: bool = False) -> pd.DataFrame:
    """Indicators for every region of `level` under `region`, as the report prints them."""
    return ask(indicator_frame_for, scope, month, level, region, with_measures)


def regions(scope: Scope, level: str, under: str | None = None) -> pd.DataFrame:
    """Regions of a level (under a region) that the viewer may see."""
    return ask(catalog.regions_in_scope, scope, level, under)
