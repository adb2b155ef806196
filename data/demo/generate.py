"""Generates one city's demo rows as pandas frames, vectorised with numpy, from one seeded rng.

Frames use the stored English codes (data.vocab) and numpy dates (datetime64[D], NaT for blank).
Figures that domain.md publishes are met exactly at the last complete month (see spec.py);
everything else is drawn so that the indicators tell a plausible story.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data import schema
from data.demo import names
from data.demo.spec import CitySpec, CountySpec, largest_remainder
from data.demo.timeline import HISTORY_MONTHS, Timeline, d64
from data.ids import DEMO_KEY, hash_id

DIFFICULTY = ("orphan", "unsupported", "disabled_ill", "dibao", "other_difficulty")
DIFFICULTY_SHARE = np.array([0.06, 0.12, 0.14, 0.55, 0.13])
RISK = np.array(["green", "yellow", "orange", "red"], dtype=object)
RISK_P = {  # green, yellow, orange, red among assessed children
    "orphan": (0.45, 0.35, 0.14, 0.06), "unsupported": (0.40, 0.38, 0.15, 0.07),
    "disabled_ill": (0.35, 0.40, 0.17, 0.08), "dibao": (0.62, 0.28, 0.07, 0.03),
    "other_difficulty": (0.50, 0.33, 0.12, 0.05), "left_behind": (0.72, 0.22, 0.05, 0.01),
}
# Enrolment and exit seasonality, January … December. Left-behind children are identified after
# the Spring Festival (parents leave for work) and leave the roll when parents come home.
ENROL_SEASON = {"difficulty": [1.1, 0.9, 1.2, 1.0, 1.0, 0.9, 0.9, 0.9, 1.3, 1.0, 1.0, 0.8],
                "left_behind": [0.9, 1.6, 1.5, 1.0, 0.9, 0.8, 0.8, 0.9, 1.3, 0.9, 0.8, 0.6]}
EXIT_SEASON = {"difficulty": [1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.4, 1.2, 1.0, 1.0, 1.0, 1.2],
               "left_behind": [1.8, 1.5, 0.8, 0.8, 0.8, 0.9, 1.3, 1.3, 0.9, 0.8, 0.8, 1.1]}
FUND_PROFILE = {  # share of the year's spending by month before noise
    "living_allowance": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.1],
    "director_subsidy": [1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0],
    "stations": [0.5, 0.5, 0.8, 0.9, 1, 1, 1, 1, 1, 1.1, 1.2, 2.5],
    "care_projects": [0.3, 0.4, 0.7, 0.9, 1, 1, 1, 1, 1.1, 1.2, 1.3, 2.8],
    "other": [0.6, 0.8, 1, 1, 1, 1, 1, 1, 1, 1, 1.2, 2],
}
TOPICS = ("未成年人保护法专题培训", "困境儿童风险评估实务培训", "农村留守儿童关爱服务培训",
          "儿童心理健康与危机干预培训", "儿童福利信息系统操作培训", "家庭监护指导与个案管理培训",
          "防溺水与安全教育培训", "强制报告制度培训")
KEY = DEMO_KEY.encode()
NAT = np.datetime64("NaT", "D")


@dataclass
class CityData:
    """One city's rows, ready to write: table name → frame (columns as the table's)."""

    frames: dict = field(default_factory=dict)
    id_numbers: np.ndarray | None = None  # the generated 身份证号 (never written; tests check them)


def _days(rng, lo, hi):
    """A uniform date in [lo, hi] for each pair (arrays of datetime64[D])."""
    span = (hi - lo).astype(np.int64) + 1
    return lo + (rng.random(len(span)) * span).astype(np.int64)


def _in_months(rng, tl: Timeline, months: np.ndarray):
    return tl.starts[months] + (rng.random(len(months)) * tl.days[months]).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# regions


def _regions(spec: CitySpec, rng):
    """Region rows and per-village attributes used by the rest of the generator."""
    rows = [(spec.code, spec.name, "city", None, None, spec.minors)]
    villages = []  # dicts: code, name, township index, county index, urban, weight
    townships = []  # dicts: code, name, county index, street
    for ci, county in enumerate(spec.counties):
        rows.append((county.code, county.name, "county", spec.code, None, county.minors))
        taken: set = set()
        n_t, n_s = county.townships, county.streets
        streets, towns = names.township_names(rng, n_s, n_t - n_s, taken)
        prefix = county.code[:6]
        t_codes = []
        number = 1
        for _ in range(n_s):
            t_codes.append(f"{prefix}{number:03d}000")
            number += 1 + int(rng.random() < 0.15)
        number = 100
        for _ in range(n_t - n_s):
            t_codes.append(f"{prefix}{number:03d}000")
            number += 1 + int(rng.random() < 0.15)
        t_names = streets + towns
        if county.zone:  # a development-zone 街道 the county manages, coded under the zone's prefix
            zone_prefix, zone_name = county.zone
            z = max(n_s - 1, 0)
            t_codes[z] = f"{zone_prefix}001000"
            t_names[z] = zone_name + t_names[z]
        is_street = np.arange(n_t) < n_s
        weights = np.where(is_street, 0.75, 1.0) * rng.lognormal(0.0, 0.3, n_t)
        sizes = 3 + largest_remainder(county.villages - 3 * n_t, weights)
        t_start = len(townships)
        for ti in range(n_t):
            townships.append({"code": t_codes[ti], "name": t_names[ti], "county": ci, "street": bool(is_street[ti])})
        t_order = np.argsort(t_codes, kind="stable")
        for ti in t_order:
            n = int(sizes[ti])
            if is_street[ti]:
                n_comm = int(np.clip(round(n * rng.uniform(0.6, 0.9)), 1, n))
            else:
                n_comm = int(min(n - 1, rng.integers(1, 4)))
            comm = names.community_names(rng, n_comm, taken)
            vill = names.village_names(rng, n - n_comm, taken)
            base = t_codes[ti][:9]
            codes = [f"{base}{k:03d}" for k in _numbers(rng, 1, n_comm)]
            codes += [f"{base}{k:03d}" for k in _numbers(rng, 201, n - n_comm)]
            for k, (code, name) in enumerate(zip(codes, comm + vill)):
                villages.append({"code": code, "name": name, "township": t_start + int(ti), "county": ci,
                                 "urban": k < n_comm})
    v = pd.DataFrame(villages)
    t = pd.DataFrame(townships)
    v["weight"] = rng.lognormal(0.0, 0.5, len(v)) * np.where(v["urban"], 1.6, 1.0)
    v["minors"] = 0
    for ci, county in enumerate(spec.counties):
        mask = (v["county"] == ci).to_numpy()
        v.loc[mask, "minors"] = largest_remainder(county.minors, v.loc[mask, "weight"])
    t["minors"] = v.groupby("township")["minors"].sum().reindex(range(len(t))).fillna(0).astype(int).to_numpy()
    for ti, row in t.iterrows():
        rows.append((row["code"], row["name"], "township", spec.counties[row["county"]].code, None, int(row["minors"])))
    t_code = t["code"].to_numpy()
    for row in v.itertuples():
        rows.append((row.code, row.name, "village", t_code[row.township], "urban" if row.urban else "rural",
                     int(row.minors)))
    frame = pd.DataFrame(rows, columns=["code", "name", "level", "parent_code", "urban_rural", "minor_population"])
    return frame, t, v


def _numbers(rng, first: int, n: int) -> list[int]:
    """n ascending village numbers from `first`, with the odd gap real code lists have."""
    steps = 1 + (rng.random(n) < 0.08).astype(int)
    return (first + np.concatenate([[0], np.cumsum(steps[:-1])]).astype(int)).tolist() if n else []


# ---------------------------------------------------------------------------------------------
# children


def _category_counts(county: CountySpec, rng) -> dict:
    shares = DIFFICULTY_SHARE * rng.lognormal(0.0, 0.15, len(DIFFICULTY))
    counts = dict(zip(DIFFICULTY, largest_remainder(county.difficulty, shares).tolist()))
    counts["left_behind"] = county.left_behind
    return counts


def _seasonal_months(rng, tl: Timeline, n: int, season, last: int, trend: float = 0.0):
    w = np.array(season)[tl.month_numbers[: last + 1] - 1] * (1 + trend * np.arange(last + 1))
    return rng.choice(last + 1, size=n, p=w / w.sum())


def _enrolments(rng, tl: Timeline, n_active: int, group: str):
    """Enrolment and exit dates such that exactly n_active are on the roll at the last complete month."""
    p_old, rate = (0.74, 0.010) if group == "difficulty" else (0.80, 0.014)
    n_hist = tl.last + 1
    # on the roll at the last complete month
    old = rng.random(n_active) < p_old
    enrol = np.where(old, tl.h - rng.integers(30, 6 * 365, n_active),
                     _in_months(rng, tl, _seasonal_months(rng, tl, n_active, ENROL_SEASON[group], tl.last, 0.01)))
    enrol = np.minimum(enrol, tl.e_last)
    exit_ = np.full(n_active, NAT)
    leaving = rng.random(n_active) < rate * tl.cur_fraction
    if leaving.any():
        exit_[leaving] = _days(rng, np.full(leaving.sum(), tl.cur_start), np.full(leaving.sum(), tl.t))
    # exited during the history
    n_out = int(round(n_active * rate * n_hist * rng.uniform(0.9, 1.1)))
    out_exit = _in_months(rng, tl, _seasonal_months(rng, tl, n_out, EXIT_SEASON[group], tl.last))
    out_exit = np.minimum(out_exit, tl.e_last)
    out_enrol = out_exit - rng.integers(45, 1100, n_out)  # on the roll 1½ months to 3 years
    # enrolled in the current month, up to today
    n_new = int(rng.poisson(n_active * (1 - p_old) / n_hist * tl.cur_fraction))
    new_enrol = _days(rng, np.full(n_new, tl.cur_start), np.full(n_new, tl.t))
    return (np.concatenate([enrol, out_enrol, new_enrol]),
            np.concatenate([exit_, out_exit, np.full(n_new, NAT)]))


def _children(spec: CitySpec, villages: pd.DataFrame, tl: Timeline, rng) -> pd.DataFrame:
    parts = []
    for ci, county in enumerate(spec.counties):
        v = villages[villages["county"] == ci]
        w_diff = v["weight"].to_numpy() * np.where(v["urban"], 0.8, 1.25)
        rural = v[~v["urban"]]
        for category, n in _category_counts(county, rng).items():
            group = "left_behind" if category == "left_behind" else "difficulty"
            enrol, exit_ = _enrolments(rng, tl, int(n), group)
            pool, w = (rural, rural["weight"].to_numpy()) if group == "left_behind" else (v, w_diff)
            pick = rng.choice(len(pool), size=len(enrol), p=w / w.sum())
            parts.append(pd.DataFrame({
                "category": category, "village": pool.index.to_numpy()[pick], "county": ci,
                "enrolled_on": enrol, "exited_on": exit_,
            }))
    ch = pd.concat(parts, ignore_index=True)
    n = len(ch)
    enrol = ch["enrolled_on"].to_numpy("M8[D]")
    # assessments: on time (2-28 days) except a county's late share; none yet if due after today
    late_share = np.array([c.late_assessment for c in spec.counties])[ch["county"].to_numpy()]
    late = rng.random(n) < late_share
    lag = np.where(late, rng.integers(31, 100, n), rng.integers(2, 29, n))
    need_lag = np.where(late, lag + rng.integers(0, 8, n), np.minimum(lag + rng.integers(0, 3, n), 30))
    never = rng.random(n) < np.where(late_share > 0.1, 0.02, 0.004)
    risk_on = enrol + lag
    need_on = enrol + need_lag
    risk_on = np.where(never | (risk_on > tl.t), NAT, risk_on)
    need_on = np.where(never | (need_on > tl.t), NAT, need_on)
    risk = np.empty(n, dtype=object)
    cats = ch["category"].to_numpy()
    for category, p in RISK_P.items():
        mask = cats == category
        risk[mask] = RISK[rng.choice(4, size=mask.sum(), p=p)]
    risk[np.isnat(risk_on)] = None
    ch["risk_level"] = risk
    ch["risk_assessed_on"] = risk_on
    ch["need_assessed_on"] = need_on
    ch["assessment_due_on"] = enrol + 30
    # birth: under 18 today, at least 20 days old at enrolment
    lo = np.maximum(tl.t - int(17.8 * 365), enrol - int(17.5 * 365))
    ch["birth"] = _days(rng, lo, np.maximum(enrol - 20, lo))
    return ch


# ---------------------------------------------------------------------------------------------
# workers and stations


def _stints(rng, tl: Timeline, regions: np.ndarray, p_turn: float, p_gap: float,
            forced_vacancy: np.ndarray | None = None):
    """Post holders per region: region index, start, end (NaT), one successor at most per region."""
    n = len(regions)
    start0 = tl.h - rng.integers(60, 2400, n)
    turn = rng.random(n) < p_turn
    if forced_vacancy is not None:
        turn &= ~forced_vacancy
    change = _days(rng, np.full(n, tl.h + 20), np.full(n, tl.t - 1))
    gap = np.where(rng.random(n) < p_gap, rng.integers(30, 93, n), 0)
    # an ordinary gap never spans the last complete month's end: those vacancies are chosen below
    spans = (change <= tl.e_last) & (change + gap > tl.e_last)
    gap = np.where(spans, 0, gap)
    if forced_vacancy is not None and forced_vacancy.any():
        k = forced_vacancy.sum()
        change[forced_vacancy] = tl.e_last - rng.integers(5, 60, k)
        need = (tl.e_last - change[forced_vacancy]).astype(int) + 1
        gap[forced_vacancy] = np.maximum(need + rng.integers(0, 40, k), rng.integers(30, 93, k))
        turn |= forced_vacancy
    end0 = np.where(turn, change, NAT)
    succ_start = change + gap
    has_succ = turn & (succ_start <= tl.t)
    region = np.concatenate([regions, regions[has_succ]])
    start = np.concatenate([start0, succ_start[has_succ]])
    end = np.concatenate([end0, np.full(has_succ.sum(), NAT)])
    successor = np.concatenate([np.zeros(n, bool), np.ones(has_succ.sum(), bool)])
    return region, start, end, successor


def _workers(spec: CitySpec, townships: pd.DataFrame, villages: pd.DataFrame, tl: Timeline, rng) -> pd.DataFrame:
    forced = np.zeros(len(villages), bool)
    for ci, county in enumerate(spec.counties):
        if county.vacancies:
            idx = np.flatnonzero(villages["county"].to_numpy() == ci)
            forced[rng.choice(idx, size=county.vacancies, replace=False)] = True
    d_region, d_start, d_end, d_succ = _stints(rng, tl, np.arange(len(villages)), 0.12, 0.25, forced)
    s_region, s_start, s_end, _ = _stints(rng, tl, np.arange(len(townships)), 0.15, 0.0)
    cert = np.array([c.cert_rate for c in spec.counties])
    d_county = villages["county"].to_numpy()[d_region]
    s_county = townships["county"].to_numpy()[s_region]
    d_cert = rng.random(len(d_region)) < cert[d_county] * np.where(d_succ, 1.3, 0.97)
    s_cert = rng.random(len(s_region)) < np.minimum(cert[s_county] * 1.8, 0.9)
    frame = pd.DataFrame({
        "post": ["director"] * len(d_region) + ["supervisor"] * len(s_region),
        "region": np.concatenate([d_region, s_region]),
        "region_code": np.concatenate([villages["code"].to_numpy()[d_region], townships["code"].to_numpy()[s_region]]),
        "county": np.concatenate([d_county, s_county]),
        "township": np.concatenate([villages["township"].to_numpy()[d_region], s_region]),
        "started_on": np.concatenate([d_start, s_start]),
        "ended_on": np.concatenate([d_end, s_end]),
        "certified": np.concatenate([d_cert, s_cert]),
    })
    frame["birth"] = _days(rng, np.full(len(frame), d64("1965-01-01")), np.full(len(frame), d64("1998-12-31")))
    return frame


def _stations(spec: CitySpec, townships: pd.DataFrame, villages: pd.DataFrame, tl: Timeline, rng) -> pd.DataFrame:
    rows = []
    for ci, county in enumerate(spec.counties):
        if county.centre_built:
            built = (d64(county.centre_built) if not county.centre_in_history
                     else tl.h + int(rng.integers(60, 400)))
            built = min(built, tl.h - 30) if not county.centre_in_history else min(built, tl.e_last)
            rows.append(("centre", county.code, county.name + "未成年人救助保护中心", built,
                         bool(rng.random() < 0.4)))
    n_t = len(townships)
    recent = rng.random(n_t) < 0.06
    built = np.where(recent, tl.h + rng.integers(15, 330, n_t), tl.h - rng.integers(60, 1800, n_t))
    built = np.minimum(built, tl.e_last - 30)
    model = rng.random(n_t) < 0.1
    for code, name, b, m in zip(townships["code"], townships["name"], built, model):
        rows.append(("workstation", code, name + "未成年人保护工作站", b, bool(m)))
    for ci, county in enumerate(spec.counties):
        v = villages[villages["county"] == ci]
        w = v["weight"].to_numpy()
        pick = v.index.to_numpy()[rng.choice(len(v), size=county.homes, replace=False, p=w / w.sum())]
        recent = rng.random(len(pick)) < 0.15
        built = np.where(recent, _days(rng, np.full(len(pick), tl.h), np.full(len(pick), tl.e_last)),
                         tl.h - rng.integers(30, 2200, len(pick)))
        model = rng.random(len(pick)) < 0.06
        for vi, b, m in zip(pick, built, model):
            rows.append(("home", villages.at[vi, "code"], villages.at[vi, "name"] + "儿童之家", b, bool(m)))
    frame = pd.DataFrame(rows, columns=["kind", "region_code", "name", "built_on", "provincial_model"])
    frame["built_on"] = frame["built_on"].to_numpy("M8[D]")
    frame["closed_on"] = NAT
    return frame[["kind", "region_code", "name", "built_on", "closed_on", "provincial_model"]]


# ---------------------------------------------------------------------------------------------
# visits


def _holder(events: pd.DataFrame, stints: pd.DataFrame, by: str) -> np.ndarray:
    """Index into stints of the post holder active on each event's date in its region, or -1."""
    left = events[[by, "date"]].assign(pos=np.arange(len(events))).sort_values("date", kind="stable")
    right = stints[[by, "started_on", "ended_on"]].assign(stint=np.arange(len(stints)))
    right = right.sort_values("started_on", kind="stable")
    left["date"] = left["date"].astype("datetime64[s]")
    right["started_on"] = right["started_on"].astype("datetime64[s]")
    right["ended_on"] = right["ended_on"].astype("datetime64[s]")
    merged = pd.merge_asof(left, right, left_on="date", right_on="started_on", by=by, direction="backward")
    ok = merged["stint"].notna() & (merged["ended_on"].isna() | (merged["ended_on"] > merged["date"]))
    out = np.full(len(events), -1, dtype=np.int64)
    out[merged["pos"].to_numpy()[ok.to_numpy()]] = merged["stint"].to_numpy()[ok.to_numpy()].astype(np.int64)
    return out


def _visits(spec: CitySpec, ch: pd.DataFrame, villages: pd.DataFrame, townships: pd.DataFrame,
            workers: pd.DataFrame, tl: Timeline, rng) -> pd.DataFrame:
    enrol = ch["enrolled_on"].to_numpy("M8[D]")
    exit_ = ch["exited_on"].to_numpy("M8[D]")
    # visits are spread over the whole month; those of the current month after today are not logged yet
    last_day = np.where(np.isnat(exit_), tl.ends[-1], np.minimum(exit_ - 1, tl.ends[-1]))
    first_m = np.maximum(tl.month_index(enrol), 0)
    last_m = tl.month_index(np.minimum(last_day, tl.t))
    n = np.maximum(last_m - first_m + 1, 0)
    rep = np.repeat(np.arange(len(ch)), n)
    m = first_m[rep] + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    lo = np.maximum(tl.starts[m], enrol[rep])
    hi = np.minimum(tl.ends[m], last_day[rep])
    # chance that a child is visited in a month: county habit × village diligence × Spring Festival × trend
    county_rate = np.array([c.visit_rate for c in spec.counties])
    diligence = np.clip(rng.normal(1.0, 0.035, len(villages)), 0.85, 1.04)
    diligence[rng.random(len(villages)) < 0.04] *= 0.8
    trend = 0.97 + 0.03 * np.arange(HISTORY_MONTHS) / (HISTORY_MONTHS - 1)
    village = ch["village"].to_numpy()[rep]
    q = county_rate[ch["county"].to_numpy()[rep]] * diligence[village] * tl.spring_factor()[m] * trend[m]
    visited = rng.random(len(m)) < np.minimum(q, 0.995)
    # one township stops reporting for the last two months
    silent = []
    for ci, c in enumerate(spec.counties):
        if c.silent_township:  # a 镇 rather than one of the first (街道) townships
            own = townships.index[townships["county"] == ci]
            silent.append(own[int(rng.integers(min(3, len(own) - 1), len(own)))])
    township = villages["township"].to_numpy()[village]
    visited &= ~(np.isin(township, silent) & (m >= tl.last))
    # children at higher risk are visited more often once assessed
    risk = ch["risk_level"].to_numpy()[rep]
    assessed = ch["risk_assessed_on"].to_numpy("M8[D]")[rep] <= tl.starts[m]
    extra = np.where(risk == "red", 1 + (rng.random(len(m)) < 0.5),
                     np.where(risk == "orange", 1, np.where(risk == "yellow", rng.random(len(m)) < 0.2, 0)))
    k = np.where(visited, 1 + np.where(assessed, extra, 0), 0).astype(np.int64)
    rep2 = np.repeat(np.arange(len(m)), k)
    days = _days(rng, lo[rep2], hi[rep2])
    events = pd.DataFrame({"child": rep[rep2], "village": village[rep2], "township": township[rep2], "date": days})
    events = events[events["date"].to_numpy("M8[D]") <= tl.t]
    posts = workers.drop(columns=["township"])
    directors = posts[posts["post"] == "director"].rename(columns={"region": "village"})
    supervisors = posts[posts["post"] == "supervisor"].rename(columns={"region": "township"})
    who = _holder(events, directors, "village")
    worker = np.where(who >= 0, directors.index.to_numpy()[np.maximum(who, 0)], -1)
    vacant = who < 0  # no director that day: the township supervisor visits, or nobody does
    if vacant.any():
        sup = _holder(events[vacant], supervisors, "township")
        cover = (sup >= 0) & (rng.random(vacant.sum()) < 0.6)
        worker[np.flatnonzero(vacant)] = np.where(cover, supervisors.index.to_numpy()[np.maximum(sup, 0)], -1)
    events["worker"] = worker
    events = events[events["worker"] >= 0]
    festive = tl.spring_window(events["date"].to_numpy("M8[D]"))
    u = rng.random(len(events))
    home_p, phone_p = np.where(festive, 0.68, 0.86), np.where(festive, 0.22, 0.09)
    events["mode"] = np.where(u < home_p, "home", np.where(u < home_p + phone_p, "phone",
                              np.where(u < 0.99, "video", "other")))
    return events.drop_duplicates(["date", "child", "worker"])[["date", "child", "worker", "mode"]]


# ---------------------------------------------------------------------------------------------
# training


def _active(workers: pd.DataFrame, day) -> np.ndarray:
    start, end = workers["started_on"].to_numpy("M8[D]"), workers["ended_on"].to_numpy("M8[D]")
    return (start <= day) & (np.isnat(end) | (end > day))


def _session_day(rng, year: int, month: int, tl: Timeline, planned: bool):
    """A day in the month (10th-25th); in the reporting year planned sessions stay ≤ the last complete month."""
    day = d64(f"{year:04d}-{month:02d}-{int(rng.integers(10, 26)):02d}")
    if planned:
        day = min(day, tl.e_last)
    return day


def _training(spec: CitySpec, workers: pd.DataFrame, townships: pd.DataFrame, tl: Timeline, rng) -> pd.DataFrame:
    rows = []  # (date, course, worker index, host, hours)
    report_year = int(tl.years[tl.last])
    years = range(int(tl.years[0]), int(tl.years[-1]) + 1)
    county = workers["county"].to_numpy()
    sup = (workers["post"] == "supervisor").to_numpy()

    def attend(day, course, host, hours, mask, p):
        chosen = np.flatnonzero(mask & _active(workers, day) & (rng.random(len(workers)) < p))
        rows.extend((day, course, int(w), host, hours) for w in chosen)
        return len(chosen)

    for year in years:
        reporting = year == report_year
        month = min(4, tl.month_numbers[tl.last]) if reporting else 4
        day = _session_day(rng, year, month, tl, reporting)
        city_count = {}
        if day <= tl.t:
            for ci in range(len(spec.counties)):
                city_count[ci] = attend(day, f"{year}年{spec.name}儿童督导员能力提升培训班", "city", 12.0,
                                        sup & (county == ci), 1.0 if spec.counties[ci].training_plan else 0.95)
        for ci, c in enumerate(spec.counties):
            planned = reporting and c.training_plan is not None
            in_county = county == ci
            m = int(rng.integers(3, 6))
            day = _session_day(rng, year, min(m, tl.month_numbers[tl.last]) if planned else m, tl, planned)
            main = 0
            if day <= tl.t:
                main = attend(day, f"{year}年{c.name}儿童主任业务培训班", "county", 8.0, in_county,
                              1.0 if planned else c.training_reach)
            if planned:
                sessions, person_times = c.training_plan
                towns = np.flatnonzero(townships["county"].to_numpy() == ci)
                extra = max(sessions - 2, 1)
                remaining = max(person_times - main - city_count.get(ci, 0), 0)
                sizes = largest_remainder(remaining, np.ones(extra))
                last_month = int(tl.month_numbers[tl.last])
                for j in range(extra):
                    t_idx = towns[j % len(towns)]
                    month = 1 + (j * last_month) // extra
                    day = _session_day(rng, year, month, tl, True)
                    pool = np.flatnonzero((workers["township"].to_numpy() == t_idx) & _active(workers, day))
                    if len(pool) < sizes[j]:
                        pool = np.flatnonzero(in_county & _active(workers, day))
                    chosen = rng.choice(pool, size=int(sizes[j]), replace=False)
                    course = f"{year}年{townships.at[t_idx, 'name']}{TOPICS[j % len(TOPICS)]}"
                    rows.extend((day, course, int(w), "township", 3.0) for w in chosen)
                continue
            lagging = c.training_reach < 0.8
            for j in range(int(rng.integers(1, 4) if lagging else rng.integers(4, 12))):
                day = _session_day(rng, year, int(rng.integers(1, 13)), tl, False)
                if day > tl.t:
                    continue
                size = int(rng.integers(15, 60))
                pool = np.flatnonzero(in_county & _active(workers, day))
                chosen = rng.choice(pool, size=min(size, len(pool)), replace=False)
                topic = TOPICS[int(rng.integers(0, len(TOPICS)))]
                host = "township" if rng.random() < 0.4 else "county"
                course = f"{year}年{c.name}{topic}（第{j + 1}期）"
                rows.extend((day, course, int(w), host, 4.0) for w in chosen)
            day = _session_day(rng, year, int(rng.integers(6, 12)), tl, False)
            if day <= tl.t:
                attend(day, f"{year}年全省儿童督导员示范培训班", "province", 24.0, sup & in_county, 0.25)
    frame = pd.DataFrame(rows, columns=["trained_on", "course", "worker", "host_level", "hours"])
    frame["trained_on"] = frame["trained_on"].to_numpy("M8[D]")
    return frame


# ---------------------------------------------------------------------------------------------
# funds


def _funds(spec: CitySpec, ch: pd.DataFrame, stations: pd.DataFrame, tl: Timeline, rng):
    on_roll = (ch["enrolled_on"].to_numpy("M8[D]") <= tl.e_last) & ~(ch["exited_on"].to_numpy("M8[D]") <= tl.e_last)
    budgets, spend = [], []
    years = range(int(tl.years[0]), int(tl.years[-1]) + 1)
    # spending is reported for complete months: January of the first year … the last complete month
    last_month = tl.starts[tl.last]
    for ci, c in enumerate(spec.counties):
        counts = ch[on_roll & (ch["county"] == ci).to_numpy()]["category"].value_counts()
        g = lambda k: int(counts.get(k, 0))  # noqa: E731
        centre = int(((stations["kind"] == "centre") & (stations["region_code"] == c.code)).sum())
        homes = c.homes
        base = {
            "living_allowance": (g("orphan") + g("unsupported")) * 1500 * 12 + g("disabled_ill") * 800 * 12
            + (g("dibao") + g("other_difficulty")) * 300 * 12,
            "director_subsidy": c.director_subsidy or c.villages * rng.uniform(2400, 3200),
            "stations": centre * rng.uniform(350e3, 600e3) + c.townships * rng.uniform(8e3, 15e3)
            + homes * rng.uniform(1.5e3, 3e3),
            "care_projects": rng.uniform(150e3, 600e3) * c.minors / 150e3,
            "other": rng.uniform(30e3, 120e3),
        }
        for year in years:
            growth = 1.05 ** (year - int(tl.years[tl.last]))
            for fund, amount in base.items():
                if fund == "director_subsidy" and c.director_subsidy:
                    budget = float(c.director_subsidy)
                else:
                    budget = float(round(amount * growth * rng.uniform(0.97, 1.03), -4))
                budgets.append((c.code, year, fund, budget))
                w = np.array(FUND_PROFILE[fund], float) * rng.lognormal(0.0, 0.12, 12)
                w = w / w.sum() * budget * rng.uniform(0.95, 1.0)
                if c.fiscal_lag:  # slow all year, then a December rush that still falls short
                    target = w.sum() * 0.92
                    w[:11] *= 0.85 if fund == "living_allowance" else 0.55
                    w[11] = max(target - w[:11].sum(), 0.0)
                for month in range(12):
                    start = d64(f"{year:04d}-{month + 1:02d}-01")
                    if start <= last_month and w[month] > 0:
                        spend.append((c.code, start, fund, float(round(w[month], 2))))
    budget = pd.DataFrame(budgets, columns=["county_code", "year", "fund_type", "amount"])
    spending = pd.DataFrame(spend, columns=["county_code", "month_start", "fund_type", "amount"])
    spending["month_start"] = spending["month_start"].to_numpy("M8[D]")
    return budget, spending


# ---------------------------------------------------------------------------------------------
# identity numbers


def id_numbers(prefix: np.ndarray, birth: np.ndarray, rng) -> np.ndarray:
    """Valid 18-character 身份证号, unique: region prefix + birth date + sequence + check digit."""
    ymd = np.char.replace(np.datetime_as_string(birth, unit="D").astype(str), "-", "")
    key = pd.Series(prefix.astype(str)).str.cat(pd.Series(ymd))
    base = pd.Series(rng.integers(0, 1000, len(key)))
    first = base.groupby(key, sort=False).transform("first")
    seq = (first + key.groupby(key, sort=False).cumcount()) % 1000
    s17 = (key + seq.map("{:03d}".format)).to_numpy(dtype=str)
    digits = np.frombuffer("".join(s17).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    check = np.array(list("10X98765432"))[(digits.astype(np.int64) @ weights) % 11]
    return np.char.add(s17, check)


# ---------------------------------------------------------------------------------------------
# one city


def generate_city(spec: CitySpec, tl: Timeline, seed: int) -> CityData:
    """All rows of one city; the same (spec, today, seed) gives the same rows."""
    rng = np.random.default_rng([seed, int(spec.code[:4])])
    region, townships, villages = _regions(spec, rng)
    ch = _children(spec, villages, tl, rng)
    workers = _workers(spec, townships, villages, tl, rng)
    stations = _stations(spec, townships, villages, tl, rng)
    visits = _visits(spec, ch, villages, townships, workers, tl, rng)
    training = _training(spec, workers, townships, tl, rng)
    budget, spending = _funds(spec, ch, stations, tl, rng)

    # ID numbers: children registered in their village's county-level prefix, workers in their county's
    v_prefix = villages["code"].str[:6].to_numpy()
    county_prefix = np.array([c.code[:6] for c in spec.counties])
    prefix = np.concatenate([v_prefix[ch["village"].to_numpy()], county_prefix[workers["county"].to_numpy()]])
    birth = np.concatenate([ch["birth"].to_numpy("M8[D]"), workers["birth"].to_numpy("M8[D]")])
    numbers = id_numbers(prefix, birth, rng)
    hashes = np.array([hash_id(x, KEY) for x in numbers.tolist()], dtype=object)
    child_hash, worker_hash = hashes[: len(ch)], hashes[len(ch):]

    v_code = villages["code"].to_numpy()
    frames = {
        "region": region,
        "child": pd.DataFrame({
            "id_hash": child_hash, "category": ch["category"].to_numpy(),
            "village_code": v_code[ch["village"].to_numpy()],
            "enrolled_on": ch["enrolled_on"].to_numpy("M8[D]"), "exited_on": ch["exited_on"].to_numpy("M8[D]"),
            "risk_level": ch["risk_level"].to_numpy(), "risk_assessed_on": ch["risk_assessed_on"].to_numpy("M8[D]"),
            "need_assessed_on": ch["need_assessed_on"].to_numpy("M8[D]"),
            "assessment_due_on": ch["assessment_due_on"].to_numpy("M8[D]"),
        }),
        "worker_post": pd.DataFrame({
            "person_hash": worker_hash, "post": workers["post"].to_numpy(),
            "region_code": workers["region_code"].to_numpy(),
            "started_on": workers["started_on"].to_numpy("M8[D]"), "ended_on": workers["ended_on"].to_numpy("M8[D]"),
            "certified": workers["certified"].to_numpy(bool),
        }),
        "station": stations,
        "visit": pd.DataFrame({
            "visited_on": visits["date"].to_numpy("M8[D]"), "child_hash": child_hash[visits["child"].to_numpy()],
            "worker_hash": worker_hash[visits["worker"].to_numpy()], "mode": visits["mode"].to_numpy(),
        }),
        "training": pd.DataFrame({
            "trained_on": training["trained_on"].to_numpy("M8[D]"), "course": training["course"].to_numpy(),
            "person_hash": worker_hash[training["worker"].to_numpy()], "host_level": training["host_level"].to_numpy(),
            "hours": training["hours"].to_numpy(float),
        }),
        "budget": budget,
        "spending": spending,
    }
    for name, frame in frames.items():  # one row per key, in key order (the order they are written)
        key = [c.name for c in getattr(schema, name).primary_key.columns]
        frames[name] = frame.drop_duplicates(key).sort_values(key, kind="stable").reset_index(drop=True)
    return CityData(frames, numbers)
