"""Controlled vocabularies: Chinese values of the import format mapped to the English codes stored."""

LEVELS = {"市": "city", "县": "county", "乡镇": "township", "村": "village"}
LEVEL_ORDER = ("city", "county", "township", "village")
LEVEL_LABELS = {v: k for k, v in LEVELS.items()}

URBAN_RURAL = {"城镇": "urban", "农村": "rural"}

CATEGORIES = {
    "孤儿": "orphan",
    "事实无人抚养儿童": "unsupported",
    "重残重病儿童": "disabled_ill",
    "低保家庭儿童": "dibao",
    "其他困境儿童": "other_difficulty",
    "农村留守儿童": "left_behind",
}
CATEGORY_LABELS = {v: k for k, v in CATEGORIES.items()}

RISK_LEVELS = {"红": "red", "橙": "orange", "黄": "yellow", "绿": "green"}
RISK_LABELS = {v: k for k, v in RISK_LEVELS.items()}

POSTS = {"儿童主任": "director", "儿童督导员": "supervisor"}
POST_LABELS = {v: k for k, v in POSTS.items()}
POST_LEVEL = {"director": "village", "supervisor": "township"}

STATION_KINDS = {
    "未成年人救助保护中心": "centre",
    "未成年人保护工作站": "workstation",
    "儿童之家": "home",
}
STATION_LABELS = {v: k for k, v in STATION_KINDS.items()}
STATION_LEVEL = {"centre": "county", "workstation": "township", "home": "village"}

VISIT_MODES = {"入户": "home", "电话": "phone", "视频": "video", "其他": "other"}
VISIT_MODE_LABELS = {v: k for k, v in VISIT_MODES.items()}

HOST_LEVELS = {"省": "province", "市": "city", "县": "county", "乡镇": "township"}
HOST_LEVEL_LABELS = {v: k for k, v in HOST_LEVELS.items()}

FUND_TYPES = {
    "基本生活保障金": "living_allowance",
    "儿童主任补贴": "director_subsidy",
    "阵地建设运营": "stations",
    "关爱服务项目": "care_projects",
    "其他": "other",
}
FUND_TYPE_LABELS = {v: k for k, v in FUND_TYPES.items()}
