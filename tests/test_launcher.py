"""python -m dashboard: the server's launcher loads the libraries first pages need, and none of dashboard/."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_launcher_passes_its_options_to_streamlit_run():
    done = _python("-m", "dashboard", "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage: streamlit run" in done.stdout and "app.py" not in done.stderr


def test_preload_imports_the_libraries_but_no_dashboard_module():
    # A dashboard/ module imported before Streamlit's runtime exists would make its st.cache_data functions
    # with a private memory cache (Streamlit warns "No runtime found"), outside the server's own.
    done = _python("-c", "import sys; import dashboard.__main__ as m; m.preload(); "
                         "print(sorted(k for k in sys.modules if k.startswith('dashboard.') and k != 'dashboard.__main__'));"
                         "print('pandas' in sys.modules, 'openpyxl' in sys.modules, 'queries.engine' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "True True True"]
    assert "No runtime found" not in done.stderr
