"""Synthetic but plausible place names (镇/街道, 村/社区) drawn from the generator's rng."""

import numpy as np

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎潘杜戴夏钟田任姜范方石姚谭邹孔白崔康毛邱秦史顾侯邵孟万段钱汤尹武乔贺颜")
PREFIX = list("东西南北前后大小新老上下中高")
NATURE = list("龙凤金石柳杨桃杏梨枣槐松柏青白红黄安平兴和太长永福泉清河湖山云玉文仁义礼")
PLACE = list("庄集桥店屯营寨河湖山岭楼口堂坊园林泉沟洼埠铺岗坡台峪寺圩湾")
TOWN_TAIL = list("城河湖山阳苑华关门桥泉林源")
COMMUNITY = ["幸福", "和平", "建设", "振兴", "光明", "文化", "育才", "锦绣", "翠竹", "丽景", "春华",
             "秋实", "阳光", "和谐", "康乐", "民安", "惠民", "新华", "东方", "北辰", "南湖", "书香",
             "滨河", "尚城", "悦府", "金城", "玉泉", "长青", "永安", "兴隆", "吉祥", "丰泽", "安居",
             "雅苑", "紫荆", "银河", "花园", "龙湾", "凤鸣", "杏坛", "泉林", "槐荫", "芳园", "德馨"]


def _pick(rng, pool, n):
    return np.asarray(pool, dtype=object)[rng.integers(0, len(pool), n)]


def _unique(candidates, n, taken):
    out = []
    for name in candidates:
        if name not in taken and name[0] != name[1]:  # no 山山街道
            taken.add(name)
            out.append(name)
            if len(out) == n:
                break
    return out


def village_names(rng, n: int, taken: set) -> list[str]:
    """Rural 村 names: 前王村, 后李庄村, 张家楼村, 东关村, 王庄村 …"""
    out: list[str] = []
    while len(out) < n:
        m = 4 * (n - len(out)) + 8
        pattern = rng.integers(0, 5, m)
        s, p, a, b = _pick(rng, SURNAMES, m), _pick(rng, PREFIX, m), _pick(rng, NATURE, m), _pick(rng, PLACE, m)
        cands = np.select(
            [pattern == 0, pattern == 1, pattern == 2, pattern == 3],
            [p + s + "村", p + s + b + "村", s + "家" + b + "村", a + b + "村"],
            s + b + "村",
        )
        out += _unique(cands, n - len(out), taken)
    return out


def community_names(rng, n: int, taken: set) -> list[str]:
    """Urban 社区 names: 幸福社区, 东关社区, 泉林苑社区 …"""
    out: list[str] = []
    while len(out) < n:
        m = 4 * (n - len(out)) + 8
        pattern = rng.integers(0, 3, m)
        w, p, a = _pick(rng, COMMUNITY, m), _pick(rng, PREFIX, m), _pick(rng, NATURE, m)
        cands = np.select([pattern == 0, pattern == 1], [w + "社区", p + "关社区"], a + _pick(rng, PLACE, m) + "社区")
        out += _unique(cands, n - len(out), taken)
    return out


def township_names(rng, n_streets: int, n_towns: int, taken: set) -> tuple[list[str], list[str]]:
    """街道 names (金城街道) and 镇 names (柳集镇, 王楼镇)."""
    streets: list[str] = []
    while len(streets) < n_streets:
        m = 4 * (n_streets - len(streets)) + 8
        cands = _pick(rng, NATURE + PREFIX, m) + _pick(rng, TOWN_TAIL, m) + "街道"
        streets += _unique(cands, n_streets - len(streets), taken)
    towns: list[str] = []
    while len(towns) < n_towns:
        m = 4 * (n_towns - len(towns)) + 8
        pattern = rng.integers(0, 3, m)
        s, a, b = _pick(rng, SURNAMES, m), _pick(rng, NATURE, m), _pick(rng, PLACE, m)
        cands = np.select([pattern == 0, pattern == 1], [s + b + "镇", a + b + "镇"], _pick(rng, PREFIX, m) + b + "镇")
        towns += _unique(cands, n_towns - len(towns), taken)
    return streets, towns

