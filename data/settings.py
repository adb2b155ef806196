"""Every WEIBAO_* environment variable, declared once with its default and meaning (README's table is printed from here)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str  # as README shows it (Markdown)
    meaning: str  # as README shows it (Markdown)


SETTINGS = (
    Setting("WEIBAO_DB_URL", "`sqlite:///var/weibao.sqlite` (embedded)",
            "SQLAlchemy URL of the database, e.g. `postgresql+psycopg://user@host/db`"),
    Setting("WEIBAO_ID_KEY", "none (the loader refuses to run)",
            "secret for the keyed hash of ID numbers; keep it outside the repository"),
    Setting("WEIBAO_TEST_PG_URL", "unset (PostgreSQL tests skipped)",
            "a PostgreSQL server the tests may create schemas in"),
    Setting("WEIBAO_BOUNDARIES", "unset (shipped county outlines, synthetic townships)",
            "your own boundary file (GeoJSON, `.shp` or zipped shapefile) with a `区划代码`/`code`/`adcode` column; "
            "it replaces the shipped shapes for every code it contains"),
    Setting("WEIBAO_RUBRIC", "`queries/rubric.yaml`",
            "the 考评 rubric (weights, targets, scoring rules; see [`docs/rubric.md`](docs/rubric.md))"),
    Setting("WEIBAO_AUTH_URL", "`sqlite:///var/auth.sqlite` (embedded)",
            "SQLAlchemy URL of the auth store (accounts, login lockout, audit log), kept apart from the child data; "
            "PostgreSQL works the same"),
    Setting("WEIBAO_COOKIE_KEY", "`cookie_key` in `.streamlit/secrets.toml`; none → the dashboard refuses to start on "
            "real data (demo: a random key per process)",
            "signs the login cookie; at least 32 characters; the same for every dashboard process"),
    Setting("WEIBAO_SESSION_HOURS", "`8`", "idle time after which a login ends (also the cookie's lifetime)"),
    Setting("WEIBAO_SMALL_COUNT", "`5`",
            "in files for outside readers (`--audience external`, 对外) every count from 1 to this minus 1 is shown "
            "as `<5`"),
    Setting("WEIBAO_BRIEFING_TEMPLATE", "`exports/templates/工作要求.yaml`",
            "the 情况通报's editable wording (主送, opening, 四、工作要求, issuer); placeholders `{region}` `{city}` "
            "`{month}` `{whole}` `{units}`"),
    Setting("WEIBAO_LOAD_MAX_ROWS", "`1000000`",
            "data rows one `python -m data.load` invocation accepts; more is refused before parsing "
            "(see [`data/load/README.md`](data/load/README.md))"),
    Setting("WEIBAO_STATEMENT_TIMEOUT_MS", "`15000`",
            "the dashboard stops any database statement after this long (PostgreSQL `statement_timeout`, SQLite a "
            "progress handler) and says so in Chinese; `0` = no limit. Command-line readers (report, audit) have none"),
    Setting("WEIBAO_TODAY", "unset (the calendar's date)",
            "the day the product treats as today (`YYYY-MM-DD`), for tests and for re-running a past month's files"),
)


def markdown_table() -> str:
    """README's 'Environment variables' table."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{s.name}` | {s.default} | {s.meaning} |" for s in SETTINGS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
