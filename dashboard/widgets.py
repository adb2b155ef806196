"""Reusable pieces: indicator tables with registry headers and tooltips."""

import pandas as pd
import streamlit as st

from queries import fmt


def indicator_table(frame: pd.DataFrame, indicators, exact_money: bool = False) -> None:
    """A table of regions × indicators, headers and tooltips from the registry."""
    shown = pd.DataFrame({"区划": frame["region_name"]}, index=frame.index)
    config = {}
    for ind in indicators:
        column = frame[ind.key]
        if ind.unit == "rate":
            shown[ind.name] = column * 100
            config[ind.name] = st.column_config.NumberColumn(ind.name, help=ind.definition, format="%.1f%%")
        elif ind.unit == "yuan":
            shown[ind.name] = column if exact_money else column / 10000
            config[ind.name] = st.column_config.NumberColumn(
                ind.name if exact_money else ind.name.replace("（元）", "（万元）"),
                help=ind.definition, format="%.2f" if exact_money else "%.1f")
        else:
            shown[ind.name] = column
            config[ind.name] = st.column_config.NumberColumn(ind.name, help=ind.definition, format="localized")
    st.dataframe(shown, column_config=config, hide_index=True)
