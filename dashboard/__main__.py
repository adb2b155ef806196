"""python -m dashboard [streamlit run options]: the dashboard server, with its libraries loaded before it answers."""

import importlib
import sys
import time
from pathlib import Path

# What the first page view after a start would otherwise import inside its script run (py-spy on the demo
# city: pandas 0.35 s, openpyxl 0.12 s, sqlalchemy, Streamlit's emoji table, narwhals for Plotly, our own
# modules: 0.77 s of a 1.2 s first run of 领导驾驶舱). Loaded here, before the port opens, the first viewer
# after a restart waits for none of it. Only modules without side effects at import, and none of dashboard/:
# its st.cache_data functions must be made once Streamlit's runtime exists (else they get a private cache).
PRELOAD = (
    "pandas", "numpy", "sqlalchemy", "yaml", "openpyxl", "plotly.graph_objects", "plotly.io",
    "narwhals._pandas_like.namespace", "streamlit.emojis",
    "data.db", "data.schema", "data.kept", "data.settings", "data.auth", "data.audit",
    "queries.engine", "queries.registry", "queries.catalog", "queries.cockpit", "queries.compare",
    "queries.scorecard", "queries.reporting", "queries.weekly", "queries.geo", "queries.topics_children",
    "queries.topics_network", "queries.topics_visits", "queries.topics_training", "queries.topics_funds",
    "exports.figures", "exports.tables", "exports.maps",
)
APP = Path(__file__).resolve().with_name("app.py")


def preload() -> float:
    """Import PRELOAD and read the indicator registry once; returns the seconds it took."""
    started = time.perf_counter()
    for name in PRELOAD:
        importlib.import_module(name)
    from queries.registry import load_registry

    load_registry()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    """`streamlit run dashboard/app.py` with the given options, in this process, after preload()."""
    root = str(APP.parent.parent)
    if root not in sys.path:  # as `python -m streamlit` from the project root has it
        sys.path.insert(0, root)
    preload()
    from streamlit.web import cli

    cli.main.main(args=["run", str(APP), *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":
    main()
