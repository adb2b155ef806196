"""Login: the form, a signed expiring cookie that survives a reload, idle timeout, logout, the account re-read."""

import logging
import os
import secrets
import time
import uuid

import pandas as pd
import streamlit as st
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dashboard import engine
from data import settings
from data.auth import DEMO_ACCOUNTS, AccountError, audit_rows, auth_engine, auth_url, ensure_demo_users, \
    get_user, record, verify_login
from queries import catalog

log = logging.getLogger(__name__)

COOKIE = "weibao_session"
KEY_ENV = "WEIBAO_COOKIE_KEY"
HOURS_ENV = "WEIBAO_SESSION_HOURS"
MIN_KEY = 32
# The cookie is signed again at most this often while the viewer works: its time is the last activity,
# so the idle timeout also holds after a reload, without a write to the browser on every click.
REFRESH_SECONDS = 300
_SALT = "weibao-session"  # a signature made for anything else with the same key is no session

# Session-state keys. The username is the seam the tests use (at.session_state[USER] = "demo-city"):
# a browser cannot set session state, only widgets it is shown, so only this module fills it.
USER = "_auth_user"
VIEWER = "_auth_viewer"  # the User re-read from the store on this run; pages and filters read it
_SID = "_auth_sid"  # names this login in its cookie and in the logout record
_SINCE = "_auth_since"  # login time (epoch seconds)
_SEEN = "_auth_seen"  # last run (epoch seconds), for the idle timeout
_TOKEN, _ISSUED = "_auth_token", "_auth_issued"  # the cookie value now in the browser and when it was signed
_OUT = "_auth_out"  # logged out in this session: the cookie of the page's first request no longer counts
_NOTICE = "_auth_notice"  # why the login form is shown again (timeout, disabled account)
_ERROR = "_auth_error"  # the last failed attempt's message

_COOKIE_JS = """
export default function ({ data }) {
  if (!data || !data.name) return;
  // Secure whenever the page itself came over HTTPS (behind the proxy); SameSite=Strict: never sent
  // with a request another site starts.
  const flags = "; Path=/; SameSite=Strict" + (window.location.protocol === "https:" ? "; Secure" : "");
  document.cookie = data.token
    ? data.name + "=" + data.token + "; Max-Age=" + data.max_age + flags
    : data.name + "=; Max-Age=0" + flags;
}
"""
_cookie_writer = st.components.v2.component("weibao_session_cookie", js=_COOKIE_JS)


class LoginSetupError(RuntimeError):
    """The deployment cannot offer logins (no cookie key, bad setting); carries a Chinese message."""


def session_hours() -> float:
    """Idle time after which a login ends: WEIBAO_SESSION_HOURS (data/settings.py)."""
    try:
        return settings.read(HOURS_ENV)
    except settings.SettingError as err:
        raise LoginSetupError(str(err)) from None


@st.cache_resource(show_spinner=False)
def _process_key() -> str:
    # Demo only: a key per server process, so logins do not survive a restart of the server.
    return secrets.token_urlsafe(32)


def _secrets_key() -> str | None:
    try:
        value = st.secrets.get("cookie_key")
    except Exception:  # noqa: BLE001  (no or unreadable secrets.toml: as if the key were not there)
        return None
    return str(value) if value else None


def cookie_key(demo: bool) -> str:
    """The key that signs session cookies: WEIBAO_COOKIE_KEY, else cookie_key in .streamlit/secrets.toml.

    The demo may run without one (a random key per process); real data never does.
    """
    key = os.environ.get(KEY_ENV) or _secrets_key()
    if key:
        if len(key) < MIN_KEY:
            raise LoginSetupError(f"会话密钥太短（{len(key)} 个字符）：至少需要 {MIN_KEY} 个字符。")
        return key
    if demo:
        return _process_key()
    raise LoginSetupError(
        f"未配置会话密钥，看板无法提供登录。请在环境变量 {KEY_ENV} 或 .streamlit/secrets.toml 的 cookie_key 中"
        f"设置至少 {MIN_KEY} 个字符的随机串（例如 python -c \"import secrets; print(secrets.token_urlsafe(32))\" 生成），"
        "然后重启看板。")


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=_SALT)


def make_token(key: str, username: str, sid: str, since: float) -> str:
    """A cookie value: username, login id and login time, signed with the key and stamped with the time now."""
    return _serializer(key).dumps({"u": username, "s": sid, "t": int(since)})


def read_token(key: str, token: str, max_age: float) -> tuple[dict, float] | None:
    """(payload, when it was signed) of a cookie value that is genuine and younger than max_age, else None."""
    try:
        payload, signed = _serializer(key).loads(token, max_age=max_age, return_timestamp=True)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(payload, dict) or not {"u", "s", "t"} <= payload.keys():
        return None
    return payload, signed.timestamp()


@st.cache_resource(show_spinner=False)
def _auth(url: str):
    return auth_engine(url)


def auth():
    """The auth store (users, audit log): WEIBAO_AUTH_URL, else var/auth.sqlite; one engine per process."""
    return _auth(auth_url())


@st.cache_data(ttl=5, max_entries=4, show_spinner=False)
def _is_demo(url: str, version: str) -> bool:
    return engine._read(catalog.is_demo)


def is_demo() -> bool:
    """Whether the served database is the demo: decided before anyone logs in (the demo accounts)."""
    return _is_demo(engine.db_url(), engine.version())


@st.cache_resource(show_spinner=False)
def _demo_users(auth_store: str, url: str, version: str) -> int:
    # Once per auth store, database and data version (the arguments are the cache key).
    try:
        return len(engine._read(lambda conn: ensure_demo_users(auth(), conn)))
    except AccountError as err:  # no city or county in the demo: the login page says there are no accounts
        log.warning("demo accounts not created: %s", err)
        return 0


def _now() -> float:
    return time.time()


def _clear(state, notice: str | None = None, out: bool = True) -> None:
    for key in (USER, VIEWER, _SID, _SINCE, _SEEN, _TOKEN, _ISSUED):
        state.pop(key, None)
    if out:
        state[_OUT] = True
    if notice:
        state[_NOTICE] = notice


def _client_ip() -> str | None:
    """The viewer's address: a remote connection's own; for a connection from this machine (Streamlit gives
    None), i.e. through the proxy, the X-Real-IP header the proxy sets, overwriting whatever the client sent."""
    ip = st.context.ip_address
    if ip is None:
        forwarded = (st.context.headers.get("X-Real-IP") or "").strip()
        return forwarded[:64] or None
    return ip


def _details(page: str | None = None) -> dict:
    details = {}
    ip = _client_ip()
    if ip:
        details["ip"] = ip
    if page is not None:
        details["page"] = page
    return details


def _submit(demo: bool, page: str) -> None:
    """The form's callback: check the login (verify_login audits it), then forget the typed password."""
    state = st.session_state
    username = (state.get("login_username") or "").strip()
    password = state.get("login_password") or ""
    state["login_password"] = ""
    if not username or not password:
        state[_ERROR] = "请输入用户名和密码"
        return
    result = verify_login(auth(), username, password, allow_demo=demo, **_details(page))
    if not result.ok:
        state[_ERROR] = result.message
        return
    now = _now()
    _clear(state, out=False)
    state.pop(_OUT, None)
    state.pop(_ERROR, None)
    state.pop(_NOTICE, None)
    state.update({USER: result.user.username, _SID: uuid.uuid4().hex[:16], _SINCE: now, _SEEN: now})


def _logged_out_since(username: str, sid: str, since: float) -> bool:
    """Whether the login the cookie carries was ended by 退出登录 (on any tab) after it began."""
    from datetime import datetime, timezone

    start = datetime.fromtimestamp(since, timezone.utc)
    return any(entry.details.get("session") == sid
               for entry in audit_rows(auth(), user=username, since=start, action="logout"))


def _from_cookie(state, key: str, max_age: float) -> None:
    """Resume the login of a reload (F5) or a new tab from the signed cookie, when it is still valid."""
    token = st.context.cookies.get(COOKIE)
    if not token or state.get(_OUT):
        return
    read = read_token(key, token, max_age)
    if read is None:
        return
    payload, signed = read
    username, sid, since = str(payload["u"]), str(payload["s"]), float(payload["t"])
    if _logged_out_since(username, sid, since):
        return
    state.update({USER: username, _SID: sid, _SINCE: since, _SEEN: _now(), _TOKEN: token, _ISSUED: signed})


def _viewer(state, demo: bool, hours: float):
    """The logged-in User re-read from the store (a disabled account ends its login at once), or None."""
    username = state.get(USER)
    if not username:
        return None
    user = get_user(auth(), username)
    if user is None or not user.enabled:
        _clear(state, "该账号已停用，请联系管理员。")
        return None
    if user.demo and not demo:
        _clear(state, "演示账号只能在演示数据上登录。")
        return None
    now = _now()
    seen = state.setdefault(_SEEN, now)
    if now - seen > hours * 3600:
        record(auth(), user, "logout", reason="idle", session=state.get(_SID))
        _clear(state, f"登录已超时（超过 {hours:g} 小时没有操作），请重新登录。")
        return None
    state[_SEEN] = now
    state.setdefault(_SID, uuid.uuid4().hex[:16])
    state.setdefault(_SINCE, now)
    return user


def _write_cookie(where, key: str, state, hours: float) -> None:
    """Put the signed login in the browser (again every few minutes of activity, moving the idle clock)."""
    now = _now()
    if not state.get(_TOKEN) or now - state.get(_ISSUED, 0) > REFRESH_SECONDS:
        state[_TOKEN] = make_token(key, state[USER], state[_SID], state[_SINCE])
        state[_ISSUED] = now
    with where:
        _cookie_writer(key="session_cookie", height=0,
                       data={"name": COOKIE, "token": state[_TOKEN], "max_age": int(hours * 3600)})


def _clear_cookie() -> None:
    _cookie_writer(key="session_cookie", height=0, data={"name": COOKIE, "token": "", "max_age": 0})


def logout() -> None:
    """退出登录 (a button callback): audited, the session forgotten, the cookie removed on the next run."""
    state = st.session_state
    user = state.get(VIEWER) or state.get(USER)
    if user is not None:
        record(auth(), user, "logout", session=state.get(_SID), **_details())
    _clear(state, "已退出登录。")


PAGE = "_auth_page"  # the page of this run (url path), put in every audit record the pages make


def audit(action: str, **details) -> None:
    """One audit record for the logged-in viewer (page_view, download, export, denied) with the page.

    A failure to write is logged, never shown: the viewer asked for a page, not for the log.
    """
    state = st.session_state
    user = state.get(VIEWER) or state.get(USER)
    try:
        record(auth(), user, action, **{"page": state.get(PAGE), **details})
    except Exception:  # noqa: BLE001
        log.exception("could not write the audit record %s", action)


DEMO_BANNER = "演示数据：按公开数字校准的合成数据，仅供演示，不代表任何地区的真实情况。"


def _form(demo: bool, page: str) -> None:
    state = st.session_state
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("未保驾驶舱")
        st.caption("未成年人保护数据看板，仅限授权人员使用；登录、查看和下载均有记录。")
        notice = state.pop(_NOTICE, None)
        if notice:
            st.info(notice)
        if demo:
            st.warning(DEMO_BANNER, icon=":material/warning:")
            st.markdown("**演示账号**（仅在演示数据上可用）")
            st.dataframe(pd.DataFrame([{"角色": a.role_label, "用户名": a.username, "密码": a.password,
                                        "说明": a.display_name} for a in DEMO_ACCOUNTS]),
                         hide_index=True, key="demo_accounts")
        with st.form("login"):
            st.text_input("用户名", key="login_username", autocomplete="username")
            st.text_input("密码", key="login_password", type="password", autocomplete="current-password")
            st.form_submit_button("登录", key="login_submit", type="primary", on_click=_submit, args=(demo, page))
        error = state.pop(_ERROR, None)
        if error:
            st.error(error)


def gate(page: str):
    """The logged-in User for this run; otherwise the login form (Chinese) and st.stop() before any page runs.

    The URL (page path, ?region=…&month=…) is left as it came, so after the login the same view opens.
    """
    state = st.session_state
    demo = is_demo()
    try:
        key = cookie_key(demo)
        hours = session_hours()
    except LoginSetupError as err:
        st.error(str(err))
        st.stop()
    if demo:
        _demo_users(auth_url(), engine.db_url(), engine.version())
    if not state.get(USER):
        _from_cookie(state, key, hours * 3600)
    user = _viewer(state, demo, hours)
    if user is None:
        state.pop(VIEWER, None)
        if state.get(_OUT) or COOKIE in st.context.cookies:
            _clear_cookie()  # a cookie that no longer counts (expired, logged out) leaves the browser
        _form(demo, page)
        st.stop()
    state[VIEWER] = user
    return user


def sidebar_footer(user, region_name: str) -> None:
    """Who is logged in, the 退出登录 button and the cookie writer, at the bottom of the sidebar."""
    bar = st.sidebar
    bar.divider()
    bar.caption(f"当前用户：{user.display_name}（{user.role_label} · {region_name}）")
    bar.button("退出登录", key="logout", on_click=logout)
    _write_cookie(bar.container(), cookie_key(is_demo()), st.session_state, session_hours())
