"""The demo data set (演示数据): Jining calibrated to its published figures, or a synthetic province.

    from data.demo import build_demo
    build_demo(engine, scale="city", seed=20221, today=None)   # replaces the database's contents

`python -m data.demo [--scale city|province] [--seed N] [--db URL] [--if-empty] [--force]` does the
same from the command line, and refuses to overwrite imported real data without --force. Everything
is drawn from numpy.random.default_rng(seed): the same seed and day give the same rows. ID numbers
are valid 身份证号 stored only as HMAC under data.ids.DEMO_KEY.
"""

from data.demo.build import DEFAULT_SEED, SCALES, Summary, build_demo, existing_data, has_data
from data.demo.generate import generate_city
from data.demo.spec import JINING, CitySpec, CountySpec, province_cities
from data.demo.timeline import Timeline

__all__ = ["DEFAULT_SEED", "SCALES", "Summary", "build_demo", "existing_data", "has_data", "generate_city", "JINING",
           "CitySpec", "CountySpec", "province_cities", "Timeline"]
