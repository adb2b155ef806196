"""审计日志 (管理员 only): records filtered by user, action and date, the chain's state, the accounts; read-only."""

from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from dashboard import filters, login, widgets
from data.auth import ACTIONS, ROLE_LABELS, audit_rows, auth_url, list_users, verify_chain
from data.cli import minute
from exports.job import AUDIENCES

LIMIT = 2000  # rows shown; the whole log is for python -m data.audit list
# The pages by url path (app.py's menu), for the 页面 column; an unknown path is shown as it is.
PAGE_TITLES = {"cockpit": "领导驾驶舱", "ranking": "县区排名与地图", "children": "儿童底数", "network": "阵地与队伍",
               "visits": "走访", "training": "培训", "funds": "资金", "scorecard": "考评", "weekly": "周调度",
               "table": "指标总表", "definitions": "口径说明", "audit": "审计日志"}
_SHOWN_KEYS = ("page", "region", "month")  # details that get a column of their own
_KEY_LABELS = {"reason": "原因", "ip": "地址", "what": "内容", "file": "文件", "asked_region": "所请求区域",
               "asked": "所请求", "via": "途径", "session": "登录编号", "locked_until": "锁定至", "by": "操作人",
               "role": "角色", "name": "显示名", "demo": "演示账号", "kind": "类型", "region_name": "区域名称",
               "period": "期间", "audience": "口径", "files": "文件"}
_VIA = {"link": "链接", "page": "页面（角色无权使用）", "query": "页面查询", "fragment": "页面局部刷新"}
_REASONS = {"wrong_password": "密码错误", "unknown_user": "用户名不存在", "disabled": "账号已停用",
            "locked": "账号已锁定", "demo_only": "演示账号仅限演示数据", "idle": "闲置超时"}


@st.cache_data(ttl=60, max_entries=4, show_spinner="正在校验审计链…")
def _chain(url: str):
    # Walks every record: cached for a minute so that filtering the table does not repeat it.
    return verify_chain(login.auth())


def _bounds(picked) -> tuple[datetime | None, datetime | None]:
    """Local calendar days (from, to inclusive) as aware instants [since, until)."""
    days = list(picked) if isinstance(picked, (tuple, list)) else [picked]
    days = [d for d in days if isinstance(d, date)]
    if not days:
        return None, None
    first, last = days[0], days[-1]
    since = datetime.combine(first, time.min).astimezone()
    until = datetime.combine(last + timedelta(days=1), time.min).astimezone()
    return since, until


def _details_text(details: dict) -> str:
    parts = []
    for key, value in details.items():
        if key in _SHOWN_KEYS or value in (None, ""):
            continue
        if key == "reason":
            value = _REASONS.get(value, value)
        if key == "via":
            value = _VIA.get(value, value)
        if isinstance(value, bool):  # never 'True' in front of a viewer
            value = "是" if value else "否"
        if key == "locked_until":
            value = minute(datetime.fromisoformat(str(value).removesuffix("Z") + "+00:00"))
        if key == "role":
            value = ROLE_LABELS.get(value, value)
        if key == "audience":
            value = AUDIENCES.get(value, value)
        if isinstance(value, list):
            value = "、".join(str(v) for v in value)
        parts.append(f"{_KEY_LABELS.get(key, key)}：{value}")
    return "；".join(parts)


def _region(code) -> str:
    if not code:
        return ""
    name = filters.region_name(code)
    return name if name and name != code else str(code)


def render() -> None:
    st.title("审计日志")
    chain = _chain(auth_url())
    if chain.ok:
        st.success(f"审计链：{chain.message}", icon=":material/verified_user:")
    else:
        st.error(f"审计链：{chain.message}", icon=":material/warning:")
    st.caption("每条记录都带有与前一条相连的哈希，改动或删除任何一条都会在这里显示为断裂（最多延迟 1 分钟）；"
               "命令行校验：python -m data.audit verify。本页只读，看板中没有修改或删除记录的途径。")

    accounts = list_users(login.auth())
    users = ["全部"] + [u.username for u in accounts]
    actions = ["全部"] + list(ACTIONS)
    left, middle, right = st.columns(3)
    who = left.selectbox("用户", users, key="audit_user")
    what = middle.selectbox("操作", actions, key="audit_action",
                            format_func=lambda a: a if a == "全部" else ACTIONS[a])
    today = date.today()
    picked = right.date_input("日期", value=(today - timedelta(days=6), today), key="audit_dates",
                              format="YYYY-MM-DD")
    since, until = _bounds(picked)
    rows = audit_rows(login.auth(), user=None if who == "全部" else who, since=since, until=until,
                      action=None if what == "全部" else what, limit=LIMIT, newest_first=True)
    table = pd.DataFrame([{
        "时间": entry.local_minute,
        "用户": entry.username or "",
        "操作": entry.action_label,
        "页面": PAGE_TITLES.get(entry.details.get("page"), entry.details.get("page") or ""),
        "区域": _region(entry.details.get("region")),
        "月份": entry.details.get("month") or "",
        "详情": _details_text(entry.details),
        "编号": entry.id,
    } for entry in rows], columns=["时间", "用户", "操作", "页面", "区域", "月份", "详情", "编号"])
    shown = f"共 {len(table)} 条" + (f"（只显示最近 {LIMIT} 条；完整记录用 python -m data.audit list 导出）"
                                     if len(table) >= LIMIT else "")
    st.markdown(f"**记录**：{shown}；时间为本地时间，精确到分钟。")
    if table.empty:
        st.info("所选条件下没有记录。")
    else:
        widgets.table(table, "审计记录", "audit_table", hide_index=True)

    st.subheader("用户")
    st.caption("只读；新增、停用账号和修改密码用命令行 python -m data.users（见 README）。")
    st.dataframe(pd.DataFrame([{
        "用户名": u.username,
        "显示名": u.display_name,
        "角色": u.role_label,
        "区域": f"{_region(u.region_code)}（{u.region_code}）" if _region(u.region_code) != u.region_code
        else u.region_code,
        "状态": "启用" if u.enabled else "停用",
        "演示账号": "是" if u.demo else "",
        "创建时间": minute(u.created_at),
    } for u in accounts]), hide_index=True, key="audit_users")


render()
