"""The pages' file buttons: a meeting file built on click for the logged-in viewer's scope, and audited."""

import logging
from dataclasses import replace
from datetime import datetime, timezone

import pandas as pd
import streamlit as st

import exports
from dashboard import engine, filters, login
from data.auth import audit
from data.db import get_engine
from exports.job import ExportError, Job, prepare
from queries.engine import OutOfScope

log = logging.getLogger(__name__)

MIMES = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf"}


def _job(kind: str, region: str | None, month: str | None, week: str | None, audience: str):
    user = st.session_state.get(login.VIEWER)
    scope = filters.viewer_scope()
    region = region or filters.region() or (scope.roots[0] if scope.roots else None)
    if user is None or region is None:
        return None
    return engine._read(lambda conn: prepare(conn, kind, region, month=month, week=week, user=user.username,
                                             audience=audience, viewer=scope))


def file_button(kind: str, ext: str, label: str, *, month: str | None = None, week: str | None = None,
                region: str | None = None, audience: str = "internal", key: str | None = None) -> None:
    """A download button for one file of an export (exports.KINDS), built only when it is clicked."""
    try:
        job = _job(kind, region, month, week, audience)
    except (ExportError, OutOfScope, engine.DataUnavailable) as err:
        st.caption(f"{label}：暂不能导出（{err}）")
        return
    if job is None:
        return
    url, auth = engine.db_url(), login.auth()

    def build() -> bytes:
        # Runs on click in a thread of its own with no session: everything it needs was captured above.
        made = replace(job, made_at=datetime.now(timezone.utc))
        db = get_engine(url, read_only=True)
        try:
            with db.connect() as conn:
                files = exports.build(conn, made, ext=ext)
        finally:
            db.dispose()
        exports.record(auth, made, [name for name, _ in files], via="页面")
        return files[0][1]

    st.download_button(label, data=build, file_name=job.file_name(ext), mime=MIMES[ext], on_click="ignore",
                       key=key or f"export_{kind}_{ext}", help=f"{job.file_name(ext)}（按本账号的查看范围生成，导出记入审计日志）")


def table_button(frame, what: str, key: str, *, week: str | None = None, label: str | None = None,
                 exact_money: bool = False) -> None:
    """The formatted .xlsx of a table as the page shows it (exports.tables), built on click and audited as a
    download: Chinese headers with units, number formats, frozen header, filters, as-of, who and when."""
    from exports import tables  # openpyxl only once a page shows a table

    data = frame.data if hasattr(frame, "data") and not isinstance(frame, pd.DataFrame) else frame  # a Styler
    user = st.session_state.get(login.VIEWER)
    scope = filters.viewer_scope()
    region = filters.region() or (scope.roots[0] if scope.roots else None)
    if user is None or region is None or data is None or len(data) == 0:
        return
    month = filters.month()
    page = st.session_state.get(login.PAGE)
    url, auth = engine.db_url(), login.auth()
    period = {"week": week} if week else {"month": month}
    # Only for the file's name (no query at render time); the file itself is built from a checked job on click.
    named = Job(kind="table", region=region, region_name=filters.region_name(region), level="", month=month,
                week=week, user=user.username, audience="internal", made_at=datetime.now(timezone.utc), scope=scope)
    file_name = tables.file_name(named, what)

    def build() -> bytes:
        # On click, in a thread of its own with no session: everything it needs was captured above.
        db = get_engine(url, read_only=True)
        try:
            with db.connect() as conn:
                job = prepare(conn, "table", region, user=user.username, viewer=scope, **period)
        finally:
            db.dispose()
        content = tables.table_bytes(data, job, what, exact_money=exact_money)
        audit.record(auth, user.username, "download", what=what, file=file_name, region=region,
                     month=week or month, page=page)
        return content

    st.download_button(label or f"下载 Excel：{what}", data=build, file_name=file_name, mime=MIMES["xlsx"],
                       on_click="ignore", key=key, help="按屏幕所示导出（中文表头与单位、冻结表头、筛选条件、数据截至时间、导出人）")


def files_menu(files: list[tuple[str, str, str]], *, month: str | None = None, week: str | None = None,
               key: str = "files", label: str = "导出文件") -> None:
    """The page's meeting files, (kind, ext, label) each, behind one 导出 button; not in meeting mode (the
    projector shows the page, not its menus)."""
    if filters.meeting():
        return
    with st.popover(label):
        external = st.toggle("对外版（1–4 的人数显示为 <5）", key=f"{key}_external")
        st.caption("按本账号的查看范围生成；每页注明导出人、时间与“内部资料 注意保密”，导出记入审计日志。")
        for kind, ext, label in files:
            file_button(kind, ext, label, month=month, week=week, audience="external" if external else "internal",
                        key=f"{key}_{kind}_{ext}")
