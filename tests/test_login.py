"""Login, roles and audit in the dashboard (AppTest): the form, wrong password, lock, demo accounts, deep links,
pages by role, refused requests, page views and downloads in the log, the 审计日志 page."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import login as gate
from data.auth import audit_rows, auth_engine, set_enabled
from tests.cards import cards
from tests.login import PASSWORD, account, demo_password, login

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
CITY, SISHUI, RENCHENG = "370800000000", "370831000000", "370811000000"


def app(url: str, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("WEIBAO_DB_URL", url)
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    return at


def submit(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return at.button(key="login_submit").click().run()


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "markdown", "caption", "info", "warning", "error", "success")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def records(username: str, action: str, since: float) -> list:
    from datetime import datetime, timezone

    return audit_rows(auth_engine(), user=username, action=action,
                      since=datetime.fromtimestamp(since, timezone.utc))


@pytest.fixture(scope="module")
def real_url(tmp_path_factory):
    """The hand-made fixture: a database with real (not demo) data, as far as the dashboard can tell."""
    from data.db import get_engine
    from tests.fixtures import direct

    url = f"sqlite:///{tmp_path_factory.mktemp('real') / 'real.sqlite'}"
    engine = get_engine(url)
    direct.load_direct(engine)
    engine.dispose()
    return url


def test_logged_out_shows_only_the_login_form(demo_url, monkeypatch):
    at = app(demo_url, monkeypatch).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["未保驾驶舱"]
    assert [t.key for t in at.text_input] == ["login_username", "login_password"]
    assert at.button(key="login_submit").label == "登录"
    assert not at.get("page_link") and not at.selectbox  # no menu, no filters
    assert len(at.dataframe) == 1  # the demo accounts: no figure, table or chart of the data
    assert not at.get("plotly_chart") and not cards(at) and not at.metric
    assert "region" not in at.session_state  # the sidebar never ran: no query for data was made


def test_demo_database_lists_the_demo_accounts_under_the_banner(demo_url, monkeypatch):
    at = app(demo_url, monkeypatch).run()
    assert any(w.value.startswith("演示数据") for w in at.warning)
    shown = at.dataframe[0].value
    assert list(shown.columns) == ["角色", "用户名", "密码", "说明"]
    assert set(shown["用户名"]) == {"demo-city", "demo-county", "demo-inspector", "demo-admin"}
    assert "county-demo-2026" in set(shown["密码"])


def test_real_database_lists_no_demo_account_and_refuses_them(real_url, monkeypatch):
    at = app(real_url, monkeypatch).run()
    assert not at.exception and not at.dataframe
    assert "演示" not in texts(at).replace("演示账号只能", "")
    submit(at, "demo-county", demo_password("demo-county"))
    assert [e.value for e in at.error] in (["用户名或密码错误（再错 4 次，账号将锁定 15 分钟）"],
                                          ["演示账号只能在演示数据上登录"])
    assert at.title[0].value == "未保驾驶舱"


def test_real_database_without_a_cookie_key_stops_with_a_chinese_message(real_url, monkeypatch):
    monkeypatch.delenv(gate.KEY_ENV)
    at = app(real_url, monkeypatch).run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("未配置会话密钥")
    assert "WEIBAO_COOKIE_KEY" in at.error[0].value and not at.text_input


def test_wrong_password_is_a_chinese_message(demo_url, monkeypatch):
    username = account("city", CITY)
    at = app(demo_url, monkeypatch).run()
    submit(at, username, "not-the-password")
    assert [e.value for e in at.error][0].startswith("用户名或密码错误（再错 ")
    assert at.text_input(key="login_password").value == ""  # the typed password is not kept
    assert at.text_input(key="login_username").value == username
    assert at.title[0].value == "未保驾驶舱"


def test_five_failures_lock_the_account_with_a_chinese_message(demo_url, monkeypatch):
    username = account("inspector", CITY)
    at = app(demo_url, monkeypatch).run()
    for _ in range(5):
        submit(at, username, "still-wrong-password")
    message = at.error[0].value
    assert message.startswith("该账号连续 5 次密码错误，已锁定至 ") and message.endswith("，请稍后再试")
    submit(at, username, PASSWORD)  # even the right password waits for the lock to end
    assert at.error[0].value == message and at.title[0].value == "未保驾驶舱"


def test_deep_link_opened_logged_out_lands_on_its_page_after_login(demo_url, monkeypatch):
    month = "2026-09"
    at = app(demo_url, monkeypatch, region=SISHUI, month=month)
    at.switch_page("views/ranking.py").run()
    assert at.title[0].value == "未保驾驶舱"
    started = time.time()
    submit(at, "demo-county", demo_password("demo-county"))
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["region"] == SISHUI and at.session_state["month"] == month
    assert at.query_params["region"] == SISHUI and at.query_params["month"] == month
    assert at.title[0].value == "县区排名与地图" and at.session_state[gate.PAGE] == "ranking"
    assert records("demo-county", "login_ok", started)
    views = records("demo-county", "page_view", started)
    assert [(v.details["page"], v.details["region"], v.details["month"]) for v in views] == \
        [("ranking", SISHUI, month)]


def test_county_user_has_its_county_only_and_no_audit_page(demo_url, monkeypatch):
    at = login(app(demo_url, monkeypatch), username="demo-county").run()
    assert not at.exception
    picker = at.selectbox(key="region")
    assert picker.options == ["泗水县"] and picker.disabled and at.session_state["region"] == SISHUI
    titles = [link.proto.label for link in at.get("page_link")]
    assert "审计日志" not in titles and "领导驾驶舱" in titles
    assert "当前用户：演示·县级用户（县级 · 泗水县）" in [c.value for c in at.sidebar.caption]


def test_county_user_opening_the_audit_page_by_url_is_refused_and_recorded(demo_url, monkeypatch):
    started = time.time()
    at = login(app(demo_url, monkeypatch), username="demo-county")
    at.switch_page("views/audit.py").run()
    assert not at.exception
    assert [e.value for e in at.error] == ["无权使用该页面，已记录。"]
    assert "审计日志" not in [t.value for t in at.title]
    denied = records("demo-county", "denied", started)
    assert [(d.details["page"], d.details["via"]) for d in denied] == [("audit", "page")]


def test_county_user_asking_for_another_county_by_link_is_refused_and_recorded(demo_url, monkeypatch):
    started = time.time()
    at = login(app(demo_url, monkeypatch, region=RENCHENG), username="demo-county").run()
    assert not at.exception
    assert [w.value for w in at.warning if "链接中的区域" in w.value] == \
        [f"链接中的区域“{RENCHENG}”不存在或无权查看，已显示泗水县。已记录。"]
    assert at.session_state["region"] == SISHUI and at.query_params["region"] == SISHUI
    assert "任城区" not in texts(at)
    denied = records("demo-county", "denied", started)
    assert [d.details.get("asked_region") for d in denied] == [RENCHENG]


def test_page_views_are_recorded_once_per_view(demo_url, monkeypatch):
    username = account("city", CITY)
    started = time.time()
    at = login(app(demo_url, monkeypatch), username=username).run()
    at.run()  # a rerun of the same view (a widget click) is no new view
    month = at.session_state["month"]
    at.selectbox(key="region").set_value(SISHUI).run()
    views = records(username, "page_view", started)
    assert [(v.details["page"], v.details["region"], v.details["month"]) for v in views] == \
        [("cockpit", CITY, month), ("cockpit", SISHUI, month)]


def test_a_download_is_recorded(demo_url, monkeypatch):
    username = account("city", CITY)
    started = time.time()
    at = login(app(demo_url, monkeypatch), username=username).run()
    at.switch_page("views/overview.py").run()  # (AppTest finds a page whose url_path differs only after a run)
    assert not at.exception and at.title[0].value == "指标总表"
    next(b for b in at.download_button if b.label == "下载 CSV（精确值）").click().run()
    downloads = records(username, "download", started)
    assert len(downloads) == 1
    details = downloads[0].details
    assert details["what"] == "指标总表" and details["page"] == "table" and details["region"] == CITY
    assert details["file"].startswith("指标总表_") and details["file"].endswith(".csv")


def test_logout_is_recorded_and_shows_the_form_again(demo_url, monkeypatch):
    username = account("city", CITY)
    started = time.time()
    at = login(app(demo_url, monkeypatch), username=username).run()
    at.button(key="logout").click().run()
    assert at.title[0].value == "未保驾驶舱" and "已退出登录。" in [i.value for i in at.info]
    [out] = records(username, "logout", started)
    assert out.details["session"]
    at.run()  # and stays logged out
    assert at.title[0].value == "未保驾驶舱"


def test_a_disabled_account_is_noticed_on_the_next_run(demo_url, monkeypatch):
    username = account("county", SISHUI)
    at = login(app(demo_url, monkeypatch), username=username).run()
    assert "泗水县" in at.title[0].value
    set_enabled(auth_engine(), username, False, by="tests")
    try:
        at.run()
        assert at.title[0].value == "未保驾驶舱" and "该账号已停用，请联系管理员。" in [i.value for i in at.info]
    finally:
        set_enabled(auth_engine(), username, True, by="tests")


def test_idle_for_longer_than_the_session_hours_ends_the_login(demo_url, monkeypatch):
    monkeypatch.setenv(gate.HOURS_ENV, "2")
    username = account("city", CITY)
    at = login(app(demo_url, monkeypatch), username=username).run()
    at.session_state["_auth_seen"] = time.time() - 2.1 * 3600
    at.run()
    assert at.title[0].value == "未保驾驶舱"
    assert "登录已超时（超过 2 小时没有操作），请重新登录。" in [i.value for i in at.info]


def test_admin_sees_the_audit_page_with_the_records_and_an_intact_chain(demo_url, monkeypatch):
    # Something of the county user's to find first: a login and a refused page.
    county = app(demo_url, monkeypatch)
    county.switch_page("views/audit.py").run()
    submit(county, "demo-county", demo_password("demo-county"))
    at = app(demo_url, monkeypatch)
    at.switch_page("views/audit.py").run()
    submit(at, "demo-admin", demo_password("demo-admin"))
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.title[0].value == "审计日志"
    assert "审计日志" in [link.proto.label for link in at.get("page_link")]
    assert at.success[0].value.startswith("审计链：完整（")
    at.selectbox(key="audit_user").set_value("demo-county").run()
    table = at.dataframe[0].value
    assert {"登录成功", "越权访问"} <= set(table["操作"])
    assert set(table["用户"]) == {"demo-county"}
    assert table["时间"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()
    denied = table[table["操作"] == "越权访问"]
    assert (denied["页面"] == "审计日志").any()
    at.selectbox(key="audit_action").set_value("login_ok").run()
    assert set(at.dataframe[0].value["操作"]) == {"登录成功"}
    users = at.dataframe[1].value
    assert {"demo-county", "demo-admin"} <= set(users["用户名"])
    assert not any("hash" in str(c).lower() or "密码" in str(c) for c in users.columns)
    assert "$argon2" not in users.to_string()


def test_cookie_tokens_are_signed_and_expire(monkeypatch):
    key = "k" * 40
    token = gate.make_token(key, "demo-county", "abc", 1_700_000_000)
    payload, signed = gate.read_token(key, token, max_age=60)
    assert payload == {"u": "demo-county", "s": "abc", "t": 1_700_000_000} and abs(signed - time.time()) < 5
    assert gate.read_token("x" * 40, token, max_age=60) is None  # another key
    # one signature character changed; the last one is left alone, as its low bits are padding that
    # base64 ignores, and the stand-in is chosen against the character it replaces (the signed time
    # makes the signature differ on every run, so a stand-in equal to it came up one run in 64)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert tampered != token and gate.read_token(key, tampered, 60) is None
    assert gate.read_token(key, token, max_age=-1) is None  # older than the idle timeout
    monkeypatch.setenv(gate.KEY_ENV, "short")
    with pytest.raises(gate.LoginSetupError, match="会话密钥太短"):
        gate.cookie_key(demo=False)


def test_a_region_the_query_layer_refuses_is_a_notice_and_recorded(demo_url, monkeypatch):
    from dashboard import engine
    from queries.engine import OutOfScope

    def refuse(scope, month, level, region=None, with_measures=False):
        raise OutOfScope(RENCHENG, scope.roots)

    username = account("county", SISHUI)
    started = time.time()
    at = login(app(demo_url, monkeypatch), username=username).run()
    monkeypatch.setattr(engine, "indicator_frame", refuse)
    at.switch_page("views/overview.py").run()
    assert not at.exception
    assert [e.value for e in at.error] == ["无权查看该区域，已记录。"]
    [denied] = records(username, "denied", started)
    assert denied.details["via"] == "query" and denied.details["page"] == "table"
    assert denied.details["asked"] == {"region": RENCHENG, "roots": [SISHUI]}


def test_the_audit_page_names_every_page_as_the_menu_does():
    import ast
    import re

    text = Path(APP).read_text(encoding="utf-8")
    menu = {path: title for title, path in re.findall(r'title="([^"]+)", url_path="([^"]+)"', text)}
    source = (Path(APP).parent / "views" / "audit.py").read_text(encoding="utf-8")
    titles = ast.literal_eval(re.search(r"PAGE_TITLES = (\{.*?\})\n", source, re.S).group(1))
    assert titles == menu and len(menu) == 12
