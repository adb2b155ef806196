"""口径说明: every indicator's definition, unit, direction and thresholds, from the registry."""

import pandas as pd
import streamlit as st

from dashboard import engine
from queries.registry import load_registry

UNITS = {"count": "人", "rate": "比率（%）", "yuan": "元"}
BETTER = {"higher": "越高越好", "lower": "越低越好", "none": "不评价"}


def render() -> None:
    st.title("口径说明")
    rows = []
    for ind in load_registry():
        t = ind.thresholds or {}
        if t.get("relative_to"):
            rule = "对照序时进度：达到为绿，落后≤10个百分点为黄"
        elif t:
            rule = f"≥{t['green'] * 100:.0f}% 绿；≥{t['yellow'] * 100:.0f}% 黄；以下红"
        else:
            rule = "—"
        rows.append({"指标": ind.name, "代码": ind.key, "口径": ind.definition,
                     "单位": UNITS[ind.unit], "方向": BETTER[ind.better], "颜色规则": rule})
    st.dataframe(pd.DataFrame(rows), hide_index=True, placeholder="—")
    st.subheader("数据新鲜度")
    fresh = engine.meta()["freshness"]
    if fresh.empty:
        st.info("尚无导入记录。")
    else:
        st.dataframe(fresh.rename(columns={"table_name": "表", "last_import": "最近导入", "rows_loaded": "累计行数"}),
                     hide_index=True, placeholder="—")


render()
