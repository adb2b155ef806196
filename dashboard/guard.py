"""Chinese stand-ins for Streamlit's English error box and "Page not found" dialog; 越权访问 shown and recorded."""

import logging
import uuid

import streamlit as st
import streamlit.commands.navigation as _navigation
import streamlit.error_util as _error_util

from queries.engine import OutOfScope

log = logging.getLogger(__name__)

ERROR_TEXT = "页面出现意外错误（编号 {code}），已记录。其他页面不受影响；请稍后重试或联系管理员。"
_MISSING_PAGE_KEY = "_missing_page"


def report(err: BaseException, where: str = "") -> str:
    """Log the error with a short id and show it as one Chinese line; returns the id."""
    code = uuid.uuid4().hex[:8]
    # The id ties what the viewer reads to the traceback in the server log.
    log.error("unexpected error %s%s", code, f" on {where}" if where else "", exc_info=err)
    st.error(ERROR_TEXT.format(code=code), icon=":material/warning:")
    return code


DENIED_REGION = "无权查看该区域，已记录。"


def refused(err: BaseException, **details) -> None:
    """越权访问 (queries.engine.OutOfScope): the Chinese notice and an audit record of what was asked."""
    from dashboard import login  # here: login needs the engine, which this module must not import first

    st.error(DENIED_REGION, icon=":material/block:")
    asked = {key: value if isinstance(value, (str, int)) else list(value)
             for key, value in vars(err).items() if isinstance(value, (str, int, tuple, list))}
    login.audit("denied", **details, asked=asked or str(err)[:200])


def _shown_in_chinese(ex: BaseException) -> None:
    try:
        if isinstance(ex, OutOfScope):  # raised in a fragment's own rerun (a map click), outside app.py's try
            state = st.session_state
            refused(ex, via="fragment", region=state.get("region"), month=state.get("month"))
            return
        report(ex, "callback or fragment")
    except Exception:  # noqa: BLE001  (showing the error must not hide the original failure)
        log.exception("could not show an error")


def _page_not_found(ctx) -> None:
    # Instead of the English dialog: remember what was asked for, app.py says it in Chinese.
    st.session_state[_MISSING_PAGE_KEY] = ctx.pages_manager.intended_page_name or ""


def install() -> None:
    """Reroute Streamlit's two English messages (idempotent).

    app.py already catches a page's errors itself; this covers what runs outside its try, such as a widget
    callback or a fragment's own rerun. Both hooks are module functions of Streamlit 1.67 that its callers
    look up at call time; tests/test_links.py checks they still exist after an upgrade.
    """
    _error_util.show_uncaught_app_exception = _shown_in_chinese
    _navigation.send_page_not_found = _page_not_found


def missing_page() -> str | None:
    """The path of a page asked for in the URL that does not exist (this run only), else None."""
    asked = st.session_state.pop(_MISSING_PAGE_KEY, None)
    return None if asked is None else asked.strip("/")
