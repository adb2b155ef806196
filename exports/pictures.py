"""Plotly figures to PNG through one long-lived kaleido server per process (offline: no MathJax, no CDN topology)."""

import atexit
import threading

import kaleido
import plotly.io as pio

from exports.maps import EMPTY_TOPOJSON_URL

# MathJax would be fetched from a CDN; the figures have no formulas.
pio.defaults.mathjax = False
# A geo subplot asks for a world topology even when it draws our own GeoJSON: answer with an empty one.
pio.defaults.topojson = EMPTY_TOPOJSON_URL

_lock = threading.Lock()
_started = False


def start() -> None:
    """Start the process's kaleido server (chromium boots in its own thread; the first picture waits for it).

    Calling it early — before the queries of an export — hides chromium's start-up behind them.
    """
    global _started
    with _lock:
        if _started:
            return
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        _started = True
        atexit.register(stop)


def stop() -> None:
    """Stop the server (at exit, or to free chromium in a long-running process)."""
    global _started
    with _lock:
        if _started:
            kaleido.stop_sync_server(silence_warnings=True)
            _started = False


def png(fig, width: int, height: int, scale: float = 2.0) -> bytes:
    """The figure as PNG bytes, `width` × `height` CSS pixels at `scale` (2: sharp on a projector)."""
    start()
    spec = fig.to_dict() if hasattr(fig, "to_dict") else fig
    # One render at a time: the sync server answers calls in order through a single queue.
    with _lock:
        return kaleido.calc_fig_sync(spec, opts=dict(format="png", width=width, height=height, scale=scale),
                                     topojson=EMPTY_TOPOJSON_URL)
