"""Meeting files — PowerPoint pack, 情况通报, scorecard, weekly and cockpit PDFs — built from the engine, audited."""

import importlib
import inspect
from dataclasses import dataclass

from data.auth import audit
from exports.job import KIND_NAMES, ExportError, Job, prepare  # noqa: F401  (the package's interface)


@dataclass(frozen=True)
class Kind:
    """One kind of export: the module that builds it and the file types it writes."""

    key: str
    module: str  # exports.<module>.build(conn, job) -> list[tuple[ext, bytes]]
    exts: tuple[str, ...]
    help: str

    @property
    def name(self) -> str:
        return KIND_NAMES[self.key]


KINDS = {k.key: k for k in (
    Kind("meeting", "meeting", ("pptx",), "会议材料（PowerPoint，可编辑图表）"),
    Kind("briefing", "briefing", ("docx",), "情况通报（Word 公文）"),
    Kind("scorecard", "scorecard", ("xlsx", "pdf"), "考评（Excel 工作簿与 A4 横向 PDF）"),
    Kind("weekly", "weekly", ("pdf",), "周调度（A4 横向 PDF，用 --week）"),
    Kind("cockpit", "cockpit", ("pdf",), "驾驶舱（A4 横向 PDF）"),
)}


def build(conn, job: Job, ext: str | None = None) -> list[tuple[str, bytes]]:
    """The files of one export as (file name, content), not yet written anywhere or audited; `ext` keeps one type."""
    kind = KINDS[job.kind]
    module = importlib.import_module(f"exports.{kind.module}")
    # A module that can build one type alone says so by taking `ext` (the scorecard's workbook without its PDF).
    takes_ext = "ext" in inspect.signature(module.build).parameters
    files = module.build(conn, job, ext=ext) if takes_ext else module.build(conn, job)
    return [(job.file_name(e), content) for e, content in files if ext in (None, e)]


def record(auth_engine, job: Job, files: list[str], via: str) -> int:
    """The audit record of an export (who, what, where, which period and audience, which files)."""
    return audit.record(auth_engine, job.user, "export", kind=KIND_NAMES[job.kind], region=job.region,
                        region_name=job.region_name, period=job.week or job.month,
                        audience=job.audience, files=files, via=via)
