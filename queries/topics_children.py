"""儿童底数 page queries: children by region with per-10,000 rates, and monthly 新增/退出 over a year."""

import pandas as pd

from queries.catalog import regions
from queries.engine import Scope, divide, indicators, indicators_over
from queries.topics_common import head, level_below, month_window, parent_names

CATEGORY_KEYS = ["children_orphan", "children_unsupported", "children_disabled_ill", "children_dibao",
                 "children_other_difficulty", "children_left_behind"]
COLUMNS = ["region_name", "children_total", *CATEGORY_KEYS, "children_new", "children_exited"]


def children_by_region(conn, scope: Scope, month: str, level: str, region: str | None = None) -> pd.DataFrame:
    """The engine's children figures per region of `level`, with its parent's name, 未成年人口 and 每万名未成年人在册数.

    per_10k = children_total ÷ minor_population × 10,000; null when the population is unknown or 0.
    """
    frame = indicators(conn, month, level, region, scope=scope)[COLUMNS]
    population = regions(conn, level, region, scope).set_index("region_code")["minor_population"]
    frame = frame.assign(minor_population=pd.to_numeric(population.reindex(frame.index), errors="coerce"))
    frame["per_10k"] = divide(frame["children_total"], frame["minor_population"]) * 10000
    frame.insert(1, "parent_name", parent_names(conn, scope, level, region).reindex(frame.index))
    return frame


def children_monthly(conn, scope: Scope, month: str, level: str, region: str | None = None) -> pd.DataFrame:
    """For the region(s) of `level` under `region` taken together: children on the roll, 新增 and 退出 for each
    of the 12 months ending at `month`."""
    window = [str(m) for m in month_window(month)]
    frame = indicators_over(conn, month_window(month), level, region, scope=scope, families=("children",))
    counts = ["children_total", "children_new", "children_exited"]
    # Counts add up across the regions of one level (they do not overlap); rates would not.
    out = frame.groupby("month")[counts].sum().reindex(window).fillna(0).astype(int)
    return out.rename_axis("month").reset_index()


def page(conn, scope: Scope, month: str, region: str | None) -> dict:
    """Everything the 儿童底数 page shows (topics_common.head, plus): own — the region's row of
    children_by_region; subs — the level below; towns — every township under the region; flow — 12 months of
    新增/退出/在册."""
    out = head(conn, scope, month, region)
    if out["now"] is None:
        return out
    level = out["level"]
    sub = level_below(level)
    subs = children_by_region(conn, scope, month, sub, region)
    return {**out, "own": children_by_region(conn, scope, month, level, region), "subs": subs,
            "towns": subs if sub == "township" else children_by_region(conn, scope, month, "township", region),
            "flow": children_monthly(conn, scope, month, level, region)}
