"""An import is seen by the dashboard: cached results are keyed on the data version the loader stamps."""

import re
import time
from datetime import date
from pathlib import Path

from sqlalchemy import insert
from streamlit.testing.v1 import AppTest

from data.db import bump_data_version, get_engine
from data.schema import child
from tests.fixtures import direct, tiny
from tests.login import login

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def headline_text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_new_rows_reach_the_cockpit_after_an_import(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tiny.sqlite'}"
    engine = get_engine(url)
    direct.load_direct(engine)
    monkeypatch.setenv("WEIBAO_DB_URL", url)
    at = login(AppTest.from_file(APP, default_timeout=120))
    at.session_state["month"] = tiny.MONTH
    at.run()
    assert not at.exception
    # The fixture's city has 10 children on the roll at 2024-06-30 (worked out in tests/test_indicators.py).
    assert re.search(r'<div class="wb-value" style="color:#222;[^"]*">10</div>', headline_text(at))

    with engine.begin() as conn:  # what data.load does: write rows, then stamp a new data version
        conn.execute(insert(child), [{
            "id_hash": "f" * 64, "category": "orphan", "village_code": next(r[0] for r in tiny.REGIONS if r[2] == "村"),
            "enrolled_on": date(2024, 6, 1), "assessment_due_on": date(2024, 7, 1)}])
        bump_data_version(conn)
    engine.dispose()
    time.sleep(5.5)  # the data version itself is re-read at most every 5 s
    at.run()
    assert re.search(r'<div class="wb-value" style="color:#222;[^"]*">11</div>', headline_text(at))
