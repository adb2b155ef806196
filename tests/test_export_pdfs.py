"""Weekly, cockpit and scorecard PDFs: A4 landscape, CJK font embedded, filters and as-of on each page, engine data."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.exporting import pinned_connection
import exports
from exports import scorecard as xs
from exports import scorecard_pdf
from exports.job import prepare
from queries import compare, fmt, weekly
from queries import scorecard as sc
from queries.catalog import regions
from queries.engine import Scope, indicators
from queries.registry import by_key, group, group_keys

CITY, COUNTY, MONTH, WEEK = "370800000000", "370831000000", "2026-11", "2026-W48"
ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "artefacts" / "exports"
TOOLS = ("pdftotext", "pdfinfo", "pdffonts", "pdftoppm")
SMALL = {"1", "2", "3", "4"}


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module", autouse=True)
def poppler():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    assert not missing, f"poppler-utils missing: {missing} (make test installs them)"


@pytest.fixture(scope="module")
def conn(demo_url):
    with pinned_connection(demo_url) as connection:
        yield connection


class Made:
    """One PDF written to disk, with its job and the text of each page."""

    def __init__(self, job, data: bytes, path: Path):
        self.job, self.data, self.path = job, data, path
        path.write_bytes(data)
        count = int(re.search(r"^Pages:\s+(\d+)", self.info, re.M).group(1))
        self.pages = [run("pdftotext", "-layout", "-f", str(i), "-l", str(i), str(path), "-") for i in
                      range(1, count + 1)]

    @property
    def info(self) -> str:
        return run("pdfinfo", str(self.path))

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    @property
    def flat(self) -> str:
        """All text without whitespace (pdftotext spaces CJK and digits as it likes)."""
        return re.sub(r"\s+", "", self.text)


def built(conn, tmp, kind: str, region: str, audience: str = "internal", **period) -> Made:
    job = prepare(conn, kind, region, user="测试员", audience=audience, **period)
    if kind == "scorecard":
        name, data = job.file_name("pdf"), scorecard_pdf.pdf(conn, job, xs.model(conn, job))
    else:
        (name, data), = exports.build(conn, job)
    return Made(job, data, tmp / name)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("pdfs")


@pytest.fixture(scope="module")
def week_city(conn, out):
    return built(conn, out, "weekly", CITY, week=WEEK)


@pytest.fixture(scope="module")
def week_outside(conn, out):
    return built(conn, out, "weekly", COUNTY, audience="external", week=WEEK)


@pytest.fixture(scope="module")
def cockpit_city(conn, out):
    return built(conn, out, "cockpit", CITY, month=MONTH)


@pytest.fixture(scope="module")
def cockpit_county(conn, out):
    return built(conn, out, "cockpit", COUNTY, month=MONTH)


@pytest.fixture(scope="module")
def score_county(conn, out):
    return built(conn, out, "scorecard", COUNTY, month=MONTH)


ALL = ["week_city", "week_outside", "cockpit_city", "cockpit_county", "score_county"]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("name", ALL)
def test_a4_landscape_with_embedded_cjk_font(request, name):
    made = request.getfixturevalue(name)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", made.info)
    assert (round(float(size.group(1))), round(float(size.group(2)))) == (842, 595)
    fonts = run("pdffonts", str(made.path)).splitlines()[2:]
    assert fonts, "no fonts in the PDF"
    cjk = [line for line in fonts if "Noto-Sans-CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts  # the emb column
    assert all(line.split()[-5] == "yes" for line in fonts), f"a font is not embedded: {fonts}"


@pytest.mark.parametrize("name", ALL)
def test_every_page_carries_region_period_filters_as_of_and_footer(request, name):
    made = request.getfixturevalue(name)
    job = made.job
    wanted = [job.region_name, job.period_text, job.as_of, job.footer, "内部资料注意保密"]
    wanted += [f"{k}：{v}" for k, v in job.filters]
    total = len(made.pages)
    assert total >= 2
    for number, text in enumerate(made.pages, start=1):
        flat = squash(text)
        for piece in wanted:
            assert squash(piece) in flat, f"page {number}: {piece!r} missing"
        assert f"第{number}页/共{total}页" in flat, f"page {number}: page number missing"
    if job.demo:
        assert "演示数据" in made.flat


def test_weekly_labels_and_engine_figures(conn, week_city):
    job = week_city.job
    data = weekly.review(conn, job.scope, WEEK, CITY)  # the engine, asked directly
    h = data["headline"]
    flat = week_city.flat
    for label in ("周调度", "本周要点", "本周走访", "完成本月走访", "14天无走访乡镇", "新增儿童待评估", "评估已超期",
                  "儿童主任空缺村", "14天无走访的乡镇（街道）", "新增儿童评估（按乡镇计数）", "儿童主任空缺的村（社区）",
                  "指标颜色变化（同口径对比）", "各乡镇（街道）走访明细", "乡镇（街道）", "所属县区"):
        assert label in flat, label
    assert f"{fmt.count(h['visits_this_week'])}次" in flat
    assert f"上周{fmt.count(h['visits_last_week'])}次" in flat
    assert f"{fmt.count(h['overdue'])}人" in flat and f"{fmt.count(h['due_soon'])}人" in flat
    assert f"尚需{fmt.count(h['visits_missing'])}次" in flat
    # Every township of the city is in the detail table, with this week's visits beside its name.
    lines = week_city.text.splitlines()
    for code, r in data["visits"].iterrows():
        row = [ln for ln in lines if ln.strip().startswith(r["region_name"] + " ") and r["county_name"] in ln]
        assert row, r["region_name"]
        assert any(fmt.count(r["visits_this_week"]) in ln.split() for ln in row), (r["region_name"], row)
    for _, r in data["changes"].iterrows():
        assert r["region_name"] in flat and r["indicator"] in flat
    for _, r in data["vacant"].iterrows():
        assert r["village_name"] in flat


def test_cockpit_city_shows_the_engines_figures(conn, cockpit_city):
    flat = cockpit_city.flat
    now = indicators(conn, MONTH, "city", CITY, scope=Scope.everything()).loc[CITY]
    reg = by_key()
    assert fmt.percent(now["visit_completion"]) in flat
    for key in group_keys("cockpit_network") + group_keys("cockpit_work"):
        assert reg[key].label in flat, key
        assert fmt.value(reg[key], now[key]) in flat, key
    for ind in group("child_categories"):
        assert ind.label in flat
    assert f"{fmt.count(now['children_total'])}人" in flat
    for label in ("未成年人保护工作驾驶舱", "儿童底数", "三级阵地与队伍", "工作落实", "近12个月趋势", "落后乡镇（红色指标）",
                  "达标线", "比上月", "口径："):
        assert label in flat, label
    reds = compare.red_list(conn, Scope.everything(), MONTH, CITY, group_keys("red_list"))
    assert len(reds) and all(name in flat for name in reds["region_name"])
    assert "全市第" not in flat  # ranks among the city's counties are a county's business


def test_cockpit_county_rank_city_value_and_no_other_county(conn, cockpit_county):
    job = cockpit_county.job
    flat = cockpit_county.flat
    now = indicators(conn, MONTH, "county", COUNTY, scope=job.scope).loc[COUNTY]
    city = compare.reference(conn, job.scope, MONTH, COUNTY).iloc[0]
    ranks = compare.peer_rank(conn, job.scope, MONTH, COUNTY, ["visit_completion", "fund_execution_rate"])
    assert fmt.percent(now["visit_completion"]) in flat
    assert f"全市{fmt.percent(city['visit_completion'])}" in flat
    place, ranked, _ = ranks["visit_completion"]
    assert f"全市第{place}/{ranked}名" in flat
    assert "泗水县未成年人保护工作驾驶舱" in flat


def other_counties(conn) -> list[str]:
    names = regions(conn, "county", None, Scope.everything())
    return [n for c, n in zip(names["region_code"], names["region_name"]) if c != COUNTY]


@pytest.mark.parametrize("name", ["cockpit_county", "week_outside", "score_county"])
def test_county_file_names_no_other_county(conn, request, name):
    flat = request.getfixturevalue(name).flat
    others = other_counties(conn)
    assert len(others) == 10
    assert "泗水县" in flat
    leaked = [n for n in others if n in flat]
    assert not leaked, leaked


def test_scorecard_grid_rubric_and_evidence(conn, score_county):
    job = score_county.job
    flat = score_county.flat
    rubric = sc.load_rubric()
    card = sc.scorecard(conn, job.scope, MONTH, rubric, COUNTY)  # the engine, asked directly
    own = card.loc[COUNTY]
    assert f"{own['total']:.1f}" in flat
    assert f"第{int(own['rank'])}/{int(own['ranked'])}名" in flat
    for crit in rubric.criteria:
        assert f"{crit.label}{crit.weight:g}分" in flat, crit.label
        assert f"{fmt.percent(own[crit.key])}·{own[f'pts_{crit.key}']:.1f}" in flat, crit.label
        assert crit.describe().replace(" ", "") in flat, crit.label
    for label in ("评分表", "评分细则与权重", "得分依据", "计分办法", "分子", "分母", "驾驶舱状态", "全市（参照）"):
        assert label in flat, label
    # The townships behind a criterion, each with its numerator and denominator.
    behind = sc.townships_behind(conn, job.scope, MONTH, COUNTY, "visit_completion")
    lines = score_county.text.splitlines()
    for _, t in behind.iterrows():
        row = [ln.split() for ln in lines if t["region_name"] in ln.split()]
        want = [fmt.count(t["numerator"]), fmt.count(t["denominator"]), fmt.percent(t["visit_completion"], 2)]
        assert any(all(w in r for w in want) for r in row), (t["region_name"], want)


def test_outside_readers_see_no_count_from_1_to_4(conn, week_outside):
    job = week_outside.job
    data = weekly.review(conn, job.scope, WEEK, COUNTY)
    h = data["headline"]
    pending = data["pending"]
    small = pending[(pending["due_soon"].between(1, 4)) | (pending["overdue"].between(1, 4))]
    assert len(small), "the demo week has no small counts to hide: the test would prove nothing"
    names = set(data["visits"]["region_name"])
    lines = [ln.split() for ln in week_outside.text.splitlines()]
    for tokens in lines:
        if not tokens or tokens[0] not in names:
            continue
        # A township's row: counts only, apart from durations ('21 天').
        counts = [t for i, t in enumerate(tokens[1:], start=1) if i + 1 >= len(tokens) or tokens[i + 1] != "天"]
        assert not SMALL & set(counts), tokens
    for _, r in small.iterrows():
        row = [t for t in lines if t and t[0] == r["region_name"] and "天" in t]
        assert row and "<5" in row[0], (r["region_name"], row)
    flat = week_outside.flat
    for key in ("overdue", "due_soon", "silent", "vacant"):
        if 1 <= h[key] <= 4:
            assert f"{h[key]}人" not in flat and f"{h[key]}个" not in flat, key
    assert ("<5人" in flat) == any(1 <= h[k] <= 4 for k in ("overdue", "due_soon"))


def test_every_text_is_escaped(conn, out):
    """Markup in a user name or a cell is printed as it is, in the body and in the page margins."""
    from exports import pdf

    user = 'a<b>"王\\五"&amp;</b>'
    job = prepare(conn, "cockpit", COUNTY, month=MONTH, user=user)
    body = pdf.section("表<i>", pdf.table(["<th>列"], [["x<y & \"z\" <script>"]]))
    path = out / "escaped.pdf"
    path.write_bytes(pdf.render(job, "标题<b>", body))
    text = run("pdftotext", "-layout", str(path), "-")
    for piece in (user, "标题<b>", "表<i>", "<th>列", 'x<y & "z" <script>', f"导出：{user}"):
        assert piece in text, piece


@pytest.mark.parametrize("name", ALL)
def test_first_page_rendered_for_a_look(request, name):
    made = request.getfixturevalue(name)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTEFACTS / f"pdf_{name}"
    run("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(made.path), str(stem))
    png = stem.with_suffix(".png")
    assert png.stat().st_size > 20_000  # a page with figures and cards, not a blank sheet


def test_a_colour_change_without_a_reference_next_to_one_with_it(conn, out):
    # 金乡县 in week 48: 预算执行率 turns colour against 序时进度 and 培训率 against no reference; together in one
    # frame the missing reference is NaN, which once broke the page and the PDF alike (exports.figures.change_cell).
    changes = weekly.review(conn, Scope.for_viewer(conn, "county", "370828000000"), WEEK, "370828000000")["changes"]
    assert set(changes["key"]) >= {"fund_execution_rate", "training_rate"}
    made = built(conn, out, "weekly", "370828000000", week=WEEK)
    assert "序时进度" in made.flat and by_key()["training_rate"].label in made.flat


def test_city_scorecard_lists_the_townships_behind_lost_points(conn, out):
    """The city's PDF: on a criterion, every township not green in a county that lost points is listed, and no green
    one (they are in the workbook); a county's PDF lists all of its townships (test above)."""
    made = built(conn, out, "scorecard", CITY, month=MONTH)
    rubric = sc.load_rubric()
    card = sc.scorecard(conn, made.job.scope, MONTH, rubric, CITY)
    counties = card[card["level"] == "county"]
    # A township-level criterion on which some counties have full marks and some lost points.
    crit = next(c for c in rubric.criteria if by_key()[c.key].numerator
                and 0 < (counties[f"pts_{c.key}"] < c.weight).sum() < len(counties))
    lost = counties[counties[f"pts_{crit.key}"] < crit.weight]
    shown, hidden = [], []
    for code in counties.index:
        towns = sc.townships_behind(conn, made.job.scope, MONTH, code, crit.key)
        for _, t in towns.iterrows():
            row = [fmt.count(t["numerator"]), fmt.count(t["denominator"]), fmt.percent(t[crit.key], 2)]
            (shown if code in lost.index and t["status"] != "green" else hidden).append((t["region_name"], row))
    assert shown and hidden
    lines = [ln.split() for ln in made.text.splitlines()]
    for name, want in shown:
        assert any(name in r and all(w in r for w in want) for r in lines), name
    for name, want in hidden:
        assert not any(name in r and all(w in r for w in want) for r in lines), name
    assert "只列失分县级单位中未达标（非绿色）的乡镇（街道），全部乡镇见考评工作簿。" in made.flat
