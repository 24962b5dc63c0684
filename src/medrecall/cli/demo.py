"""The demo data set: our factory and warehouses, a two-echelon Chinese distribution network,
hospitals at home and abroad, device models with lots and serials, the trace events that move
every lot down that network, and a log-in per role.

Why a generator and not a fixture: demos, training and load tests need the same records on
every machine (a seed, fixed dates, one ``random.Random`` per record), and a load test needs
the same network a hundred times larger (``scale``), written in bulk. Records are matched by
their natural keys and events by stable ids, so a rerun adds only what is missing and never
overwrites anything. ``demo_events``/``write_demo_events`` also feed the benchmarks in
``bench/`` with millions of events (``lots_per_model``, ``limit``).
"""

# Chinese text is written with its own full-width punctuation, which RUF001 flags as confusable.

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import models, transaction

from medrecall.accounts.models import User
from medrecall.accounts.roles import ROLE_LABELS, Role, roles_sync
from medrecall.audit import services as audit
from medrecall.catalog.models import DeviceModel, Lot, Serial, TrackingLevel
from medrecall.core.gtin import gtin_check_digit
from medrecall.core.regions import subdivision_code
from medrecall.parties.models import (
    Channel,
    Contact,
    Language,
    Location,
    LocationType,
    Party,
    PartyType,
)
from medrecall.traceability.importing.events import import_event_rows
from medrecall.traceability.importing.rows import FIELDS

DEMO_PASSWORD = "medrecall-demo"  # noqa: S105 - published demo log-in, shown by the command


def demo_url() -> str:
    """Where the demo is served: ``MEDRECALL_BASE_URL`` (``bootstrap.py serve --port`` sets it)."""
    return f"{settings.MEDRECALL_BASE_URL}/"


BATCH_SIZE = 2000
IN_CHUNK = 900  # keys per ``IN (...)`` query: under every database's parameter limit

OWN_CODE = "OWN"
OWN_FACTORY = "OWN-SUZ-WH"
OWN_FACTORY_QUARANTINE = "OWN-SUZ-QA"
OWN_DC = "OWN-SH-DC"
OWN_DC_QUARANTINE = "OWN-SH-QA"
OWN_US = "OWN-US-WH"
SUPPLIER_CODE = "SUP-CZ"
SUPPLIER_WAREHOUSE = "SUP-CZ-W1"
PORTAL_DISTRIBUTOR_PARTY = "ND-SH"
PORTAL_HOSPITAL_PARTY = "H-HZ-01"

FIRST_MANUFACTURE = date(2024, 1, 1)
MANUFACTURE_SPAN_DAYS = 731  # manufacture dates over 2024 and 2025
LOTS_PER_REPLICA = (6, 12)
SERIALS_PER_LOT = (20, 200)

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)


# --- reference tables: real cities, fictional companies -------------------------------------------


@dataclass(frozen=True, slots=True)
class City:
    """A real city: where parties are placed, with its dialling and postal prefixes."""

    key: str
    country: str
    province: str
    city: str
    city_en: str
    latitude: float
    longitude: float
    area_code: str
    postal_prefix: str
    streets: tuple[str, ...]

    @property
    def short(self) -> str:
        return self.city.removesuffix("市")


# The Chinese streets of the demo cities in English (road, district): the parties' English
# address, printed by English documents (the FDA 806 consignee list).
STREETS_EN: dict[str, tuple[str, str]] = {
    "上城区解放路": ("Jiefang Road", "Shangcheng District"),
    "东城区东直门内大街": ("Dongzhimennei Street", "Dongcheng District"),
    "二七区大学路": ("Daxue Road", "Erqi District"),
    "五华区人民中路": ("Renmin Middle Road", "Wuhua District"),
    "兴宁区朝阳路": ("Chaoyang Road", "Xingning District"),
    "包河区马鞍山路": ("Ma'anshan Road", "Baohe District"),
    "南山区科技园南路": ("Kejiyuan South Road", "Nanshan District"),
    "南岗区西大直街": ("Xidazhi Street", "Nangang District"),
    "南开区鞍山西道": ("Anshan West Road", "Nankai District"),
    "历下区经十路": ("Jingshi Road", "Lixia District"),
    "台江区八一七中路": ("Bayiqi Middle Road", "Taijiang District"),
    "和平区南京北街": ("Nanjing North Street", "Heping District"),
    "和平区南京路": ("Nanjing Road", "Heping District"),
    "天河区天河路": ("Tianhe Road", "Tianhe District"),
    "姑苏区人民路": ("Renmin Road", "Gusu District"),
    "岳麓区麓山南路": ("Lushan South Road", "Yuelu District"),
    "崂山区海尔路": ("Haier Road", "Laoshan District"),
    "市中区纬二路": ("Weier Road", "Shizhong District"),
    "市南区香港中路": ("Hong Kong Middle Road", "Shinan District"),
    "徐汇区漕溪北路": ("Caoxi North Road", "Xuhui District"),
    "思明区湖滨南路": ("Hubin South Road", "Siming District"),
    "拱墅区湖墅南路": ("Hushu South Road", "Gongshu District"),
    "新北区太湖东路": ("Taihu East Road", "Xinbei District"),
    "朝阳区建国路": ("Jianguo Road", "Chaoyang District"),
    "桥西区新华路": ("Xinhua Road", "Qiaoxi District"),
    "武侯区人民南路": ("Renmin South Road", "Wuhou District"),
    "武昌区中南路": ("Zhongnan Road", "Wuchang District"),
    "武进区常武路": ("Changwu Road", "Wujin District"),
    "江北区建新北路": ("Jianxin North Road", "Jiangbei District"),
    "江汉区解放大道": ("Jiefang Avenue", "Jianghan District"),
    "沈河区青年大街": ("Qingnian Street", "Shenhe District"),
    "浦东新区张江路": ("Zhangjiang Road", "Pudong New Area"),
    "海曙区中山西路": ("Zhongshan West Road", "Haishu District"),
    "海淀区中关村大街": ("Zhongguancun Street", "Haidian District"),
    "渝中区中山一路": ("Zhongshan 1st Road", "Yuzhong District"),
    "湖里区仙岳路": ("Xianyue Road", "Huli District"),
    "玄武区珠江路": ("Zhujiang Road", "Xuanwu District"),
    "盘龙区北京路": ("Beijing Road", "Panlong District"),
    "碑林区东大街": ("Dongda Street", "Beilin District"),
    "福田区深南大道": ("Shennan Avenue", "Futian District"),
    "美兰区海府路": ("Haifu Road", "Meilan District"),
    "芙蓉区五一大道": ("Wuyi Avenue", "Furong District"),
    "苏州工业园区星湖街": ("Xinghu Street", "Suzhou Industrial Park"),
    "虎丘区长江路": ("Changjiang Road", "Huqiu District"),
    "蜀山区长江西路": ("Changjiang West Road", "Shushan District"),
    "西湖区文三路": ("Wensan Road", "Xihu District"),
    "越秀区中山二路": ("Zhongshan 2nd Road", "Yuexiu District"),
    "道里区中央大街": ("Zhongyang Street", "Daoli District"),
    "鄞州区天童南路": ("Tiantong South Road", "Yinzhou District"),
    "金水区花园路": ("Huayuan Road", "Jinshui District"),
    "锦江区红星路": ("Hongxing Road", "Jinjiang District"),
    "长安区中山东路": ("Zhongshan East Road", "Chang'an District"),
    "雁塔区长安南路": ("Chang'an South Road", "Yanta District"),
    "青秀区民族大道": ("Minzu Avenue", "Qingxiu District"),
    "静安区延安中路": ("Yan'an Middle Road", "Jing'an District"),
    "鼓楼区中山路": ("Zhongshan Road", "Gulou District"),
    "鼓楼区五四路": ("Wusi Road", "Gulou District"),
    "龙华区滨海大道": ("Binhai Avenue", "Longhua District"),
}

CITIES: dict[str, City] = {
    c.key: c
    for c in (
        City(
            "BJ",
            "CN",
            "北京市",
            "北京市",
            "Beijing",
            39.9042,
            116.4074,
            "10",
            "100",
            ("朝阳区建国路", "海淀区中关村大街", "东城区东直门内大街"),
        ),
        City(
            "TJ",
            "CN",
            "天津市",
            "天津市",
            "Tianjin",
            39.3434,
            117.3616,
            "22",
            "300",
            ("和平区南京路", "南开区鞍山西道"),
        ),
        City(
            "SH",
            "CN",
            "上海市",
            "上海市",
            "Shanghai",
            31.2304,
            121.4737,
            "21",
            "200",
            ("浦东新区张江路", "徐汇区漕溪北路", "静安区延安中路"),
        ),
        City(
            "SUZ",
            "CN",
            "江苏省",
            "苏州市",
            "Suzhou",
            31.2990,
            120.5853,
            "512",
            "215",
            ("苏州工业园区星湖街", "姑苏区人民路", "虎丘区长江路"),
        ),
        City(
            "NJ",
            "CN",
            "江苏省",
            "南京市",
            "Nanjing",
            32.0603,
            118.7969,
            "25",
            "210",
            ("鼓楼区中山路", "玄武区珠江路"),
        ),
        City(
            "CZ",
            "CN",
            "江苏省",
            "常州市",
            "Changzhou",
            31.8107,
            119.9741,
            "519",
            "213",
            ("武进区常武路", "新北区太湖东路"),
        ),
        City(
            "HZ",
            "CN",
            "浙江省",
            "杭州市",
            "Hangzhou",
            30.2741,
            120.1551,
            "571",
            "310",
            ("西湖区文三路", "上城区解放路", "拱墅区湖墅南路"),
        ),
        City(
            "NB",
            "CN",
            "浙江省",
            "宁波市",
            "Ningbo",
            29.8683,
            121.5440,
            "574",
            "315",
            ("海曙区中山西路", "鄞州区天童南路"),
        ),
        City(
            "HF",
            "CN",
            "安徽省",
            "合肥市",
            "Hefei",
            31.8206,
            117.2272,
            "551",
            "230",
            ("蜀山区长江西路", "包河区马鞍山路"),
        ),
        City(
            "FZ",
            "CN",
            "福建省",
            "福州市",
            "Fuzhou",
            26.0745,
            119.2965,
            "591",
            "350",
            ("鼓楼区五四路", "台江区八一七中路"),
        ),
        City(
            "XM",
            "CN",
            "福建省",
            "厦门市",
            "Xiamen",
            24.4798,
            118.0894,
            "592",
            "361",
            ("思明区湖滨南路", "湖里区仙岳路"),
        ),
        City(
            "JN",
            "CN",
            "山东省",
            "济南市",
            "Jinan",
            36.6512,
            117.1201,
            "531",
            "250",
            ("历下区经十路", "市中区纬二路"),
        ),
        City(
            "QD",
            "CN",
            "山东省",
            "青岛市",
            "Qingdao",
            36.0671,
            120.3826,
            "532",
            "266",
            ("市南区香港中路", "崂山区海尔路"),
        ),
        City(
            "SJZ",
            "CN",
            "河北省",
            "石家庄市",
            "Shijiazhuang",
            38.0428,
            114.5149,
            "311",
            "050",
            ("长安区中山东路", "桥西区新华路"),
        ),
        City(
            "SY",
            "CN",
            "辽宁省",
            "沈阳市",
            "Shenyang",
            41.8057,
            123.4315,
            "24",
            "110",
            ("和平区南京北街", "沈河区青年大街"),
        ),
        City(
            "HRB",
            "CN",
            "黑龙江省",
            "哈尔滨市",
            "Harbin",
            45.8038,
            126.5350,
            "451",
            "150",
            ("南岗区西大直街", "道里区中央大街"),
        ),
        City(
            "GZ",
            "CN",
            "广东省",
            "广州市",
            "Guangzhou",
            23.1291,
            113.2644,
            "20",
            "510",
            ("越秀区中山二路", "天河区天河路"),
        ),
        City(
            "SZ",
            "CN",
            "广东省",
            "深圳市",
            "Shenzhen",
            22.5431,
            114.0579,
            "755",
            "518",
            ("福田区深南大道", "南山区科技园南路"),
        ),
        City(
            "NN",
            "CN",
            "广西壮族自治区",
            "南宁市",
            "Nanning",
            22.8170,
            108.3665,
            "771",
            "530",
            ("青秀区民族大道", "兴宁区朝阳路"),
        ),
        City(
            "CS",
            "CN",
            "湖南省",
            "长沙市",
            "Changsha",
            28.2282,
            112.9388,
            "731",
            "410",
            ("芙蓉区五一大道", "岳麓区麓山南路"),
        ),
        City(
            "HK",
            "CN",
            "海南省",
            "海口市",
            "Haikou",
            20.0440,
            110.1999,
            "898",
            "570",
            ("美兰区海府路", "龙华区滨海大道"),
        ),
        City(
            "CD",
            "CN",
            "四川省",
            "成都市",
            "Chengdu",
            30.5728,
            104.0668,
            "28",
            "610",
            ("武侯区人民南路", "锦江区红星路"),
        ),
        City(
            "CQ",
            "CN",
            "重庆市",
            "重庆市",
            "Chongqing",
            29.5630,
            106.5516,
            "23",
            "400",
            ("渝中区中山一路", "江北区建新北路"),
        ),
        City(
            "XA",
            "CN",
            "陕西省",
            "西安市",
            "Xi'an",
            34.3416,
            108.9398,
            "29",
            "710",
            ("雁塔区长安南路", "碑林区东大街"),
        ),
        City(
            "KM",
            "CN",
            "云南省",
            "昆明市",
            "Kunming",
            25.0389,
            102.7183,
            "871",
            "650",
            ("五华区人民中路", "盘龙区北京路"),
        ),
        City(
            "WH",
            "CN",
            "湖北省",
            "武汉市",
            "Wuhan",
            30.5928,
            114.3055,
            "27",
            "430",
            ("武昌区中南路", "江汉区解放大道"),
        ),
        City(
            "ZZ",
            "CN",
            "河南省",
            "郑州市",
            "Zhengzhou",
            34.7466,
            113.6254,
            "371",
            "450",
            ("金水区花园路", "二七区大学路"),
        ),
        City(
            "IRV",
            "US",
            "California",
            "Irvine",
            "Irvine",
            33.6846,
            -117.8265,
            "949",
            "926",
            ("Technology Drive", "Alton Parkway"),
        ),
        City(
            "LAX",
            "US",
            "California",
            "Los Angeles",
            "Los Angeles",
            34.0522,
            -118.2437,
            "213",
            "900",
            ("Wilshire Boulevard", "Figueroa Street"),
        ),
        City(
            "DAL",
            "US",
            "Texas",
            "Dallas",
            "Dallas",
            32.7767,
            -96.7970,
            "214",
            "752",
            ("Commerce Street", "Harry Hines Boulevard"),
        ),
        City(
            "CHI",
            "US",
            "Illinois",
            "Chicago",
            "Chicago",
            41.8781,
            -87.6298,
            "312",
            "606",
            ("West Harrison Street", "North Michigan Avenue"),
        ),
        City(
            "SJC",
            "US",
            "California",
            "San Jose",
            "San Jose",
            37.3382,
            -121.8863,
            "408",
            "951",
            ("North First Street", "Bascom Avenue"),
        ),
        City(
            "CGN",
            "DE",
            "Nordrhein-Westfalen",
            "Köln",
            "Cologne",
            50.9375,
            6.9603,
            "221",
            "50",
            ("Aachener Straße", "Kerpener Straße"),
        ),
        City(
            "MUC",
            "DE",
            "Bayern",
            "München",
            "Munich",
            48.1351,
            11.5820,
            "89",
            "80",
            ("Leopoldstraße", "Ismaninger Straße"),
        ),
        City(
            "BER",
            "DE",
            "Berlin",
            "Berlin",
            "Berlin",
            52.5200,
            13.4050,
            "30",
            "10",
            ("Invalidenstraße", "Luisenstraße"),
        ),
        City(
            "SIN",
            "SG",
            "Central Singapore",
            "Singapore",
            "Singapore",
            1.2903,
            103.8520,
            "",
            "1",
            ("Outram Road", "Anson Road"),
        ),
    )
}
POSTAL_LENGTH = {"CN": 6, "US": 5, "DE": 5, "SG": 6}


@dataclass(frozen=True, slots=True)
class Region:
    """A national distributor's territory: the cities it supplies itself, and its sub-distributors
    with the cities each of them supplies."""

    hub: str
    name: str
    name_en: str
    direct: tuple[str, ...]
    subs: tuple[tuple[str, tuple[str, ...]], ...]


CN_REGIONS = (
    Region(
        "BJ",
        "北京瑞和医疗供应链有限公司",
        "Beijing Ruihe Medical Supply Chain Co., Ltd.",
        ("BJ", "TJ"),
        (("JN", ("JN", "QD")), ("SY", ("SY", "HRB")), ("SJZ", ("SJZ",))),
    ),
    Region(
        "SH",
        "上海申联医疗器械有限公司",
        "Shanghai Shenlian Medical Devices Co., Ltd.",
        ("SH",),
        (("HZ", ("HZ", "NB")), ("NJ", ("NJ", "SUZ")), ("HF", ("HF",)), ("FZ", ("FZ", "XM"))),
    ),
    Region(
        "GZ",
        "广州粤达医疗器械有限公司",
        "Guangzhou Yueda Medical Devices Co., Ltd.",
        ("GZ", "SZ"),
        (("CS", ("CS",)), ("NN", ("NN",)), ("HK", ("HK",))),
    ),
    Region(
        "CD",
        "成都川康医疗器械有限公司",
        "Chengdu Chuankang Medical Devices Co., Ltd.",
        ("CD",),
        (("CQ", ("CQ",)), ("XA", ("XA",)), ("KM", ("KM",)), ("WH", ("WH", "ZZ"))),
    ),
)
SUB_DISTRIBUTOR_WORDS = (
    ("恒信", "Hengxin"),
    ("安泰", "Antai"),
    ("博康", "Bokang"),
    ("瑞丰", "Ruifeng"),
    ("汇通", "Huitong"),
    ("仁和", "Renhe"),
    ("华宇", "Huayu"),
    ("康达", "Kangda"),
    ("鑫源", "Xinyuan"),
    ("德润", "Derun"),
    ("长青", "Changqing"),
    ("益民", "Yimin"),
    ("嘉禾", "Jiahe"),
    ("永安", "Yong'an"),
)
SUB_DISTRIBUTOR_NAMES = dict(
    zip(
        (sub for region in CN_REGIONS for sub, _cities in region.subs),
        SUB_DISTRIBUTOR_WORDS,
        strict=True,
    )
)
HOSPITAL_KINDS = (
    ("第一人民医院", "First People's Hospital"),
    ("第二人民医院", "Second People's Hospital"),
    ("第三人民医院", "Third People's Hospital"),
    ("中心医院", "Central Hospital"),
    ("中医院", "Hospital of Traditional Chinese Medicine"),
    ("妇幼保健院", "Maternal and Child Health Hospital"),
    ("儿童医院", "Children's Hospital"),
    ("肿瘤医院", "Cancer Hospital"),
    ("心血管病医院", "Cardiovascular Hospital"),
)
HOSPITALS_PER_CITY = (3, 6)


@dataclass(frozen=True, slots=True)
class ForeignMarket:
    """A country we export to: one importing distributor and the hospitals it supplies."""

    source: str
    distributor_city: str
    distributor: str
    hospitals: tuple[tuple[str, str], ...]


FOREIGN_MARKETS = (
    ForeignMarket(
        OWN_US,
        "DAL",
        "Westbridge Medical Distribution, Inc.",
        (
            ("CHI", "Lake Michigan Memorial Hospital"),
            ("SJC", "Coyote Valley Regional Medical Center"),
        ),
    ),
    ForeignMarket(
        OWN_DC,
        "CGN",
        "Rheinmed Medizintechnik GmbH",
        (("MUC", "Klinikum Isarauen München"), ("BER", "Spreebogen-Klinikum Berlin")),
    ),
    ForeignMarket(
        OWN_DC, "SIN", "Straits MedSupply Pte. Ltd.", (("SIN", "Marina East General Hospital"),)
    ),
)
SERVICE_PARTNERS = (
    (
        "SH",
        "上海康维医疗设备技术服务有限公司",
        "Shanghai Kangwei Medical Equipment Service Co., Ltd.",
    ),
    ("CD", "成都蓉安医疗技术服务有限公司", "Chengdu Rong'an Medical Technical Service Co., Ltd."),
    ("LAX", "Pacific Biomed Field Service LLC", "Pacific Biomed Field Service LLC"),
)
CARRIERS = (
    ("CR-SZ", "SZ", "顺达速运有限公司", "Shunda Express Co., Ltd."),
    ("CR-SH", "SH", "中联货运物流有限公司", "Zhonglian Freight Logistics Co., Ltd."),
)

SURNAMES = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("周", "zhou"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("罗", "luo"),
    ("高", "gao"),
)
GIVEN_NAMES = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("建国", "jianguo"),
    ("晓东", "xiaodong"),
    ("海燕", "haiyan"),
    ("志强", "zhiqiang"),
)
FOREIGN_NAMES = {
    "US": (
        ("James", "Mary", "Robert", "Jennifer", "Michael", "Linda", "David", "Susan"),
        ("Smith", "Johnson", "Miller", "Davis", "Garcia", "Wilson", "Moore", "Taylor"),
    ),
    "DE": (
        ("Lukas", "Anna", "Jonas", "Lena", "Felix", "Marie", "Paul", "Sophie"),
        ("Schneider", "Fischer", "Wagner", "Becker", "Hoffmann", "Koch", "Richter", "Wolf"),
    ),
    "SG": (
        ("Wei Ling", "Jun Jie", "Hui Min", "Rajesh", "Siti", "Marcus", "Priya", "Daniel"),
        ("Tan", "Lim", "Ng", "Lee", "Wong", "Kumar", "Goh", "Chua"),
    ),
}
TITLES: dict[tuple[str, str], tuple[str, ...]] = {
    (PartyType.OWN_SITE, "zh-hans"): ("质量法规部经理", "物流经理"),
    (PartyType.DISTRIBUTOR, "zh-hans"): ("质量负责人", "采购经理", "物流主管", "总经理"),
    (PartyType.DISTRIBUTOR, "en"): ("Quality Manager", "Purchasing Manager", "Logistics Lead"),
    (PartyType.HOSPITAL, "zh-hans"): (
        "设备科科长",
        "医学工程处主任",
        "器械科主任",
        "护士长",
        "采购办主任",
    ),
    (PartyType.HOSPITAL, "en"): (
        "Biomedical Engineering Manager",
        "Materials Manager",
        "Risk Manager",
    ),
    (PartyType.SERVICE_PARTNER, "zh-hans"): ("技术服务经理", "维修工程师"),
    (PartyType.SERVICE_PARTNER, "en"): ("Service Manager", "Field Engineer"),
    (PartyType.CARRIER, "zh-hans"): ("客户经理", "调度主管"),
    (PartyType.SUPPLIER, "zh-hans"): ("质量经理", "销售经理"),
}
SITE_NAMES: dict[str, tuple[tuple[str, str], ...]] = {  # (Chinese name, English name) per site
    PartyType.DISTRIBUTOR: (("中心仓库", "Central warehouse"), ("区域分仓", "Regional warehouse")),
    PartyType.HOSPITAL: (
        ("设备科库房", "Biomedical engineering store"),
        ("手术室二级库", "Operating theatre store"),
    ),
    PartyType.SERVICE_PARTNER: (("备机库", "Loaner pool"), ("维修中心", "Repair centre")),
    PartyType.SUPPLIER: (("成品仓库", "Finished goods warehouse"),),
}
SITE_TYPES: dict[str, str] = {
    PartyType.DISTRIBUTOR: LocationType.DISTRIBUTOR_STOCK,
    PartyType.HOSPITAL: LocationType.CUSTOMER_SITE,
    PartyType.SERVICE_PARTNER: LocationType.DISTRIBUTOR_STOCK,  # loaner and exchange units handed on to hospitals
    PartyType.SUPPLIER: LocationType.WAREHOUSE,
}
SITE_PREFIX: dict[str, str] = {
    PartyType.DISTRIBUTOR: "W",
    PartyType.HOSPITAL: "S",
    PartyType.SERVICE_PARTNER: "D",
    PartyType.SUPPLIER: "W",
}
PARTY_CHANNELS = (
    (Channel.EMAIL, 76),
    (Channel.PHONE, 10),
    (Channel.LETTER, 9),
    (Channel.PORTAL, 5),
)
PORTAL_PARTY_TYPES = (
    PartyType.DISTRIBUTOR,
    PartyType.HOSPITAL,
    PartyType.SERVICE_PARTNER,
)  # may have portal users
CONTACT_CHANNELS = ((Channel.EMAIL, 70), (Channel.PHONE, 18), (Channel.LETTER, 12))


# --- plans: plain, immutable descriptions of what the demo holds -----------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    country: str
    province: str
    province_code: str
    city: str
    address: str
    postal_code: str
    latitude: Decimal
    longitude: Decimal
    address_en: str = ""  # a Chinese street in English, with district and city (parties only)

    def fields(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "province": self.province,
            "province_code": self.province_code,
            "city": self.city,
            "address": self.address,
            "postal_code": self.postal_code,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


@dataclass(frozen=True, slots=True)
class LocationPlan:
    code: str
    name: str
    location_type: str
    place: Place


@dataclass(frozen=True, slots=True)
class ContactPlan:
    name: str
    title: str
    email: str
    phone: str
    preferred_channel: str
    language: str
    is_primary: bool


@dataclass(frozen=True, slots=True)
class PartyPlan:
    code: str
    name: str
    name_en: str
    party_type: str
    language: str
    preferred_channel: str
    place: Place
    notes: str
    locations: tuple[LocationPlan, ...]
    contacts: tuple[ContactPlan, ...]


@dataclass(frozen=True, slots=True)
class NetworkPlan:
    """Every party, and the supply links (from location, to location) between their stock."""

    parties: tuple[PartyPlan, ...]
    links: tuple[tuple[str, str], ...]
    chains: tuple[tuple[str, ...], ...]  # own warehouse → … → hospital, first replica only
    replica_starts: tuple[
        int, ...
    ] = ()  # index in ``links`` where each copy's links begin; before: shared


@dataclass(frozen=True, slots=True)
class ProductPlan:
    item: str  # GS1 company prefix + item reference, 12 digits
    model_code: str
    name: str
    name_en: str
    brand: str
    manufacturer: str
    description: str
    risk_class_nmpa: str
    risk_class_fda: str
    risk_class_eu: str
    registration_no: str
    clearance_no: str
    implantable: bool
    tracking: str
    lifetime_years: int | None
    shelf_life_years: int
    lot_prefix: str
    serial_prefix: str
    lot_quantity: tuple[int, int, int]  # lot-tracked: low, high, step

    @property
    def gtin(self) -> str:
        body = "0" + self.item
        return body + str(gtin_check_digit(body))


OWN_NAME = "苏州澄衡医疗器械有限公司"
OWN_NAME_EN = "Suzhou Chengheng Medical Devices Co., Ltd."
SUPPLIER_NAME = "常州锐能电池科技有限公司"
SUPPLIER_NAME_EN = "Changzhou Ruineng Battery Technology Co., Ltd."
OWN_GS1_PREFIX = "6951234"  # fictional GS1 China company prefixes (690 to 699)
SUPPLIER_GS1_PREFIX = "6958765"

PRODUCTS = (
    ProductPlan(
        OWN_GS1_PREFIX + "10001",
        "IP-3000",
        "容积式输液泵",
        "Volumetric infusion pump IP-3000",
        "ChengHeng",
        OWN_NAME,
        "大输液容积泵，带锂电池组。Large-volume infusion pump with lithium battery pack.",
        "II",
        "2",
        "IIb",
        "苏械注准20232140456",
        "K201234",
        False,
        TrackingLevel.SERIAL,
        8,
        5,
        "IP",
        "CHP",
        (0, 0, 1),
    ),
    ProductPlan(
        OWN_GS1_PREFIX + "10002",
        "CVC-3L-7F",
        "一次性使用中心静脉导管包",
        "Single-use central venous catheter kit, triple lumen, 7 Fr",
        "ChengHeng",
        OWN_NAME,
        "三腔中心静脉导管及穿刺套件。Triple-lumen CVC with insertion kit.",
        "III",
        "2",
        "III",
        "国械注准20243140789",
        "K213456",
        False,
        TrackingLevel.LOT,
        None,
        3,
        "CV",
        "",
        (500, 5000, 100),
    ),
    ProductPlan(
        OWN_GS1_PREFIX + "10003",
        "PM-D900",
        "植入式心脏起搏器",
        "Implantable dual-chamber cardiac pacemaker PM-D900",
        "ChengHeng",
        OWN_NAME,
        "双腔频率应答起搏器。Dual-chamber rate-responsive pacemaker.",
        "III",
        "3",
        "III",
        "国械注准20223120321",
        "P190012",
        True,
        TrackingLevel.SERIAL,
        10,
        2,
        "PM",
        "PJ",
        (0, 0, 1),
    ),
    ProductPlan(
        OWN_GS1_PREFIX + "10004",
        "UC-16FR",
        "一次性使用无菌导尿管",
        "Single-use sterile Foley catheter, 16 Fr",
        "ChengHeng",
        OWN_NAME,
        "双腔硅胶导尿管，无菌。Two-way silicone Foley catheter, sterile.",
        "II",
        "2",
        "IIa",
        "苏械注准20222140210",
        "K193344",
        False,
        TrackingLevel.LOT,
        None,
        3,
        "UC",
        "",
        (2000, 20000, 500),
    ),
    ProductPlan(
        OWN_GS1_PREFIX + "10005",
        "MON-12",
        "多参数患者监护仪",
        "Multi-parameter patient monitor MON-12",
        "ChengHeng",
        OWN_NAME,
        "12.1英寸多参数监护仪。12.1-inch multi-parameter patient monitor.",
        "II",
        "2",
        "IIb",
        "苏械注准20232070088",
        "K202345",
        False,
        TrackingLevel.SERIAL,
        10,
        5,
        "MN",
        "CHM",
        (0, 0, 1),
    ),
    ProductPlan(
        SUPPLIER_GS1_PREFIX + "20001",
        "BAT-14V",
        "输液泵用锂离子电池组",
        "Lithium-ion battery pack 14.4 V for IP-3000",
        "RuiNeng",
        SUPPLIER_NAME,
        "IP-3000 的组件，供追溯谱系。Component of the IP-3000, for genealogy.",
        "",
        "",
        "",
        "",
        "",
        False,
        TrackingLevel.LOT,
        None,
        2,
        "BT",
        "",
        (200, 2000, 100),
    ),
)


@dataclass(frozen=True, slots=True)
class LotPlan:
    product: int  # index into PRODUCTS
    sequence: int  # unique per product, stable across scales
    number: str
    manufactured_on: date
    expires_on: date
    quantity_produced: int
    units: int  # serials to create; 0 for lot-tracked models

    def serial(self, unit: int) -> str:
        product = PRODUCTS[self.product]
        return f"{product.serial_prefix}{self.manufactured_on:%y}{self.sequence:04d}{unit:03d}"


# --- summary -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoCounts:
    parties: int = 0
    locations: int = 0
    contacts: int = 0
    device_models: int = 0
    lots: int = 0
    serials: int = 0
    users: int = 0
    events: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    role: str
    password: str
    language: str
    party: str


@dataclass(frozen=True, slots=True)
class DemoProduct:
    model_code: str
    gtin: str
    tracking: str
    first_lot: str
    first_serial: str


@dataclass(frozen=True, slots=True)
class DemoTrace:
    """A question worth asking of the demo's events, ready to type into the trace page or run."""

    purpose: str
    direction: str  # forward or backward
    gtin: str
    lot: str
    serial: str
    command: str


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the run created (``created``), what the demo set holds (``planned``), the log-ins,
    the supply chains the events follow, and trace examples that show them off."""

    seed: int
    scale: int
    created: DemoCounts
    planned: DemoCounts
    logins: tuple[DemoLogin, ...]
    products: tuple[DemoProduct, ...]
    own_locations: tuple[str, ...]
    chains: tuple[tuple[str, ...], ...]
    network_links: int
    url: str = field(default_factory=demo_url)
    notes: tuple[str, ...] = ()
    traces: tuple[DemoTrace, ...] = ()

    @property
    def pump(self) -> DemoProduct:
        return self.products[0]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the plan: deterministic for (seed, scale), no database ---------------------------------------


def _rng(seed: int, *parts: object) -> random.Random:
    """One generator per record, so that a record does not change when the scale does."""
    return random.Random("/".join(map(str, (seed, *parts))))  # noqa: S311 - reproducible demo values, not secrets


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _w in options], weights=[w for _o, w in options])[0]


def _place(rng: random.Random, city: City, *, spread: float = 0.04) -> Place:
    street = rng.choice(city.streets)
    address_en = ""
    if city.country == "CN":
        number = rng.randint(1, 999)
        address = f"{street}{number}号"
        road, district = STREETS_EN[street]
        address_en = f"No. {number} {road}, {district}, {city.city_en}"
    elif city.country == "DE":
        address = f"{street} {rng.randint(1, 199)}"
    else:
        address = (
            f"{rng.randint(100, 9999) if city.country == 'US' else rng.randint(1, 300)} {street}"
        )
    rest = POSTAL_LENGTH[city.country] - len(city.postal_prefix)
    return Place(
        country=city.country,
        province=city.province,
        province_code=subdivision_code(city.country, city.province),
        city=city.city,
        address=address,
        postal_code=city.postal_prefix + f"{rng.randrange(10**rest):0{rest}d}",
        latitude=Decimal(f"{city.latitude + rng.uniform(-spread, spread):.6f}"),
        longitude=Decimal(f"{city.longitude + rng.uniform(-spread, spread):.6f}"),
        address_en=address_en,
    )


def _phone(rng: random.Random, city: City) -> str:
    if city.country == "CN":
        if rng.random() < 0.5:
            return f"+86 1{rng.choice('3589')}{rng.randrange(10)} {rng.randrange(10**4):04d} {rng.randrange(10**4):04d}"
        return f"+86 {city.area_code} {rng.randint(2, 8)}{rng.randrange(10**7):07d}"
    if city.country == "US":
        return (
            f"+1 {city.area_code} 555-01{rng.randrange(100):02d}"  # 555-01xx: reserved for fiction
        )
    if city.country == "DE":
        return f"+49 {city.area_code} {rng.randrange(10**6, 10**7)}"
    return f"+65 6{rng.randrange(10**7):07d}"


def _reads(country: str) -> str:
    """The language a demo holder and its people read: Chinese in China, German in Germany
    (field safety notices in the Member State's language, MDR Art. 89(8)), else English."""
    return {"CN": Language.ZH_HANS, "DE": Language.DE}.get(country, Language.EN)


def _contacts(
    rng: random.Random, *, code: str, party_type: str, city: City, count: int
) -> tuple[ContactPlan, ...]:
    language = _reads(city.country)
    titles = TITLES[(party_type, Language.ZH_HANS if city.country == "CN" else Language.EN)]
    domain = f"{code.lower()}.example.com"  # RFC 2606: mail to demo contacts can never reach anyone
    contacts: list[ContactPlan] = []
    taken: set[str] = set()
    while len(contacts) < count:
        if language == Language.ZH_HANS:
            (surname, surname_py), (given, given_py) = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
            name, mailbox = surname + given, f"{given_py}.{surname_py}"
        else:
            firsts, lasts = FOREIGN_NAMES[city.country]
            first, last = rng.choice(firsts), rng.choice(lasts)
            name, mailbox = f"{first} {last}", f"{first.replace(' ', '')}.{last}".lower()
        if name in taken:
            continue
        taken.add(name)
        contacts.append(
            ContactPlan(
                name=name,
                title=titles[len(contacts) % len(titles)],
                email=f"{mailbox}@{domain}",
                phone=_phone(rng, city),
                preferred_channel=_weighted(rng, CONTACT_CHANNELS),
                language=language,
                is_primary=not contacts,
            )
        )
    return tuple(contacts)


def _party(
    seed: int,
    *,
    code: str,
    name: str,
    name_en: str,
    party_type: str,
    city: City,
    notes: str,
    sites: int | None = None,
    contacts: int | None = None,
) -> PartyPlan:
    """A party at ``city`` with ``sites`` stock locations (the first at the party's address) and
    ``contacts`` people; one or two of each when not given."""
    rng = _rng(seed, "party", code)
    place = _place(rng, city)
    language = _reads(city.country)
    locations = []
    site_count = sites if sites is not None else rng.randint(1, 2)
    for index, (site_zh, site_en) in enumerate(SITE_NAMES.get(party_type, ())[:site_count]):
        locations.append(
            LocationPlan(
                code=f"{code}-{SITE_PREFIX[party_type]}{index + 1}",
                name=f"{name} {site_zh}" if language == Language.ZH_HANS else f"{name} - {site_en}",
                location_type=SITE_TYPES[party_type],
                place=place if index == 0 else _place(rng, city),
            )
        )
    return PartyPlan(
        code=code,
        name=name,
        name_en=name_en,
        party_type=party_type,
        language=language,
        preferred_channel=_weighted(
            rng, PARTY_CHANNELS if party_type in PORTAL_PARTY_TYPES else CONTACT_CHANNELS
        ),
        place=place,
        notes=notes,
        locations=tuple(locations),
        contacts=_contacts(
            rng,
            code=code,
            party_type=party_type,
            city=city,
            count=contacts if contacts is not None else rng.randint(1, 2),
        ),
    )


def _own_party(seed: int) -> PartyPlan:
    rng = _rng(seed, "party", OWN_CODE)
    factory, dc, us = CITIES["SUZ"], CITIES["SH"], CITIES["IRV"]
    factory_place, dc_place = _place(rng, factory, spread=0.01), _place(rng, dc, spread=0.01)
    us_place = _place(rng, us, spread=0.01)
    locations = (
        LocationPlan(OWN_FACTORY, "苏州工厂成品仓库", LocationType.WAREHOUSE, factory_place),
        LocationPlan(
            OWN_FACTORY_QUARANTINE, "苏州工厂隔离区", LocationType.QUARANTINE, factory_place
        ),
        LocationPlan(OWN_DC, "上海中央配送中心", LocationType.WAREHOUSE, dc_place),
        LocationPlan(OWN_DC_QUARANTINE, "上海配送中心隔离区", LocationType.QUARANTINE, dc_place),
        LocationPlan(OWN_US, "美国尔湾仓库（Irvine, CA）", LocationType.WAREHOUSE, us_place),
    )
    return PartyPlan(
        code=OWN_CODE,
        name=OWN_NAME,
        name_en=OWN_NAME_EN,
        party_type=PartyType.OWN_SITE,
        language=Language.ZH_HANS,
        preferred_channel=Channel.EMAIL,
        place=factory_place,
        notes="演示数据：本公司（制造商）。Demo data: our company.",
        locations=locations,
        contacts=_contacts(
            rng, code=OWN_CODE, party_type=PartyType.OWN_SITE, city=factory, count=2
        ),
    )


def _replica_names(
    name: str, name_en: str, replica: int, zh_unit: str, en_unit: str, chinese: bool
) -> tuple[str, str]:
    """Copies beyond the first are numbered branches/campuses of the curated parties."""
    if replica == 0:
        return name, name_en
    number = replica + 1
    english = f"{name_en} ({en_unit} {number})"
    return (f"{name}（第{number}{zh_unit}）" if chinese else english), english


class _NetworkBuilder:
    """Collects the parties, their supply links and the first replica's chains in the order the
    plan has always listed them (ids and links depend on that order)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.parties: list[PartyPlan] = [_own_party(seed)]
        self.links: list[tuple[str, str]] = [
            (SUPPLIER_WAREHOUSE, OWN_FACTORY),
            (OWN_FACTORY, OWN_DC),
            (OWN_FACTORY, OWN_US),
        ]
        self.chains: list[tuple[str, ...]] = []
        self.replica_starts: list[int] = []

    def supplied(self, party: PartyPlan, by: str) -> str:
        """Add ``party``, supplied from the location ``by``; answer its stock location."""
        stock = party.locations[0].code
        self.parties.append(party)
        self.links.append((by, stock))
        return stock

    def replica(self, replica: int) -> None:
        """One copy of the distribution network (``-2``, ``-3``… on the codes of the copies)."""
        self.replica_starts.append(len(self.links))
        tag = "" if replica == 0 else f"-{replica + 1}"
        for region in CN_REGIONS:
            self._region(region, replica, tag)
        for market in FOREIGN_MARKETS:
            self._market(market, replica, tag)
        self._service_partners(replica, tag)

    def _copy(
        self,
        replica: int,
        unit: tuple[str, str],
        *,
        code: str,
        name: tuple[str, str],
        party_type: str,
        city: City,
        notes: str,
        chinese: bool = True,
    ) -> PartyPlan:
        """The party ``code`` of copy ``replica``: copies beyond the first are its numbered
        branches (``unit``: the Chinese and the English word for one)."""
        shown, shown_en = _replica_names(*name, replica, *unit, chinese=chinese)
        return _party(
            self.seed,
            code=code,
            name=shown,
            name_en=shown_en,
            party_type=party_type,
            city=city,
            notes=notes,
        )

    def _region(self, region: Region, replica: int, tag: str) -> None:
        national = self._copy(
            replica,
            ("分公司", "Branch"),
            code=f"ND-{region.hub}{tag}",
            name=(region.name, region.name_en),
            party_type=PartyType.DISTRIBUTOR,
            city=CITIES[region.hub],
            notes=f"演示数据：全国一级经销商，由 {OWN_CODE} 供货。Demo data: national distributor supplied by {OWN_CODE}.",
        )
        nd_stock = self.supplied(national, by=OWN_DC)
        for city_key in region.direct:
            self._hospitals(city_key, replica, tag, (OWN_DC, nd_stock), supplier=national.code)
        for sub_city, served in region.subs:
            city = CITIES[sub_city]
            word, word_en = SUB_DISTRIBUTOR_NAMES[sub_city]
            sub = self._copy(
                replica,
                ("分公司", "Branch"),
                code=f"SD-{sub_city}{tag}",
                name=(
                    f"{city.short}{word}医疗器械有限公司",
                    f"{city.city_en} {word_en} Medical Devices Co., Ltd.",
                ),
                party_type=PartyType.DISTRIBUTOR,
                city=city,
                notes=f"演示数据：二级经销商，上级 {national.code}。Demo data: sub-distributor of {national.code}.",
            )
            sd_stock = self.supplied(sub, by=nd_stock)
            for city_key in served:
                self._hospitals(
                    city_key, replica, tag, (OWN_DC, nd_stock, sd_stock), supplier=sub.code
                )

    def _hospitals(
        self, city_key: str, replica: int, tag: str, chain: tuple[str, ...], *, supplier: str
    ) -> None:
        """A Chinese city's hospitals, supplied from the last location of ``chain``."""
        city = CITIES[city_key]
        # The same hospitals in every replica, so that ``H-HZ-01-2`` is campus 2 of ``H-HZ-01``.
        rng = _rng(self.seed, "hospitals", city_key)
        kinds = rng.sample(HOSPITAL_KINDS, rng.randint(*HOSPITALS_PER_CITY))
        for index, (kind_zh, kind_en) in enumerate(kinds, start=1):
            hospital = self._copy(
                replica,
                ("院区", "Campus"),
                code=f"H-{city_key}-{index:02d}{tag}",
                name=(f"{city.city}{kind_zh}", f"{city.city_en} {kind_en}"),
                party_type=PartyType.HOSPITAL,
                city=city,
                notes=f"演示数据：医院，供货方 {supplier}。Demo data: hospital supplied by {supplier}.",
            )
            self._hospital(hospital, chain, replica)

    def _hospital(self, hospital: PartyPlan, chain: tuple[str, ...], replica: int) -> None:
        stock = self.supplied(hospital, by=chain[-1])
        if replica == 0:
            self.chains.append((*chain, stock))

    def _market(self, market: ForeignMarket, replica: int, tag: str) -> None:
        city = CITIES[market.distributor_city]
        importer = self._copy(
            replica,
            ("", "Branch"),
            code=f"ND-{city.key}{tag}",
            name=(market.distributor, market.distributor),
            party_type=PartyType.DISTRIBUTOR,
            city=city,
            notes=f"Demo data: importing distributor supplied by {market.source}.",
            chinese=False,
        )
        chain = (market.source, self.supplied(importer, by=market.source))
        for index, (city_key, hospital_name) in enumerate(market.hospitals, start=1):
            hospital = self._copy(
                replica,
                ("", "Campus"),
                code=f"H-{city_key}-{index:02d}{tag}",
                name=(hospital_name, hospital_name),
                party_type=PartyType.HOSPITAL,
                city=CITIES[city_key],
                notes=f"Demo data: hospital supplied by {importer.code}.",
                chinese=False,
            )
            self._hospital(hospital, chain, replica)

    def _service_partners(self, replica: int, tag: str) -> None:
        for city_key, sp_name, sp_name_en in SERVICE_PARTNERS:
            city = CITIES[city_key]
            chinese = city.country == "CN"
            partner = self._copy(
                replica,
                ("服务站", "Service Centre"),
                code=f"SP-{city_key}{tag}",
                name=(sp_name, sp_name_en),
                party_type=PartyType.SERVICE_PARTNER,
                city=city,
                notes="演示数据：维修服务商。Demo data: service partner."
                if chinese
                else "Demo data: service partner.",
                chinese=chinese,
            )
            self.parties.append(partner)

    def single_parties(self) -> None:
        """The carriers and the supplier: one of each, whatever the scale."""
        for code, city_key, name, name_en in CARRIERS:
            self.parties.append(
                _party(
                    self.seed,
                    code=code,
                    name=name,
                    name_en=name_en,
                    party_type=PartyType.CARRIER,
                    city=CITIES[city_key],
                    sites=0,
                    contacts=1,
                    notes="演示数据：承运商。Demo data: carrier.",
                )
            )
        self.parties.append(
            _party(
                self.seed,
                code=SUPPLIER_CODE,
                name=SUPPLIER_NAME,
                name_en=SUPPLIER_NAME_EN,
                party_type=PartyType.SUPPLIER,
                city=CITIES["CZ"],
                sites=1,
                contacts=1,
                notes="演示数据：输液泵电池组供应商。Demo data: supplier of the IP-3000 battery pack.",
            )
        )


@lru_cache(maxsize=8)
def _network_plan(seed: int, scale: int) -> NetworkPlan:
    network = _NetworkBuilder(seed)
    for replica in range(scale):
        network.replica(replica)
    network.single_parties()
    return NetworkPlan(
        parties=tuple(network.parties),
        links=tuple(network.links),
        chains=tuple(network.chains),
        replica_starts=tuple(network.replica_starts),
    )


def demo_network(seed: int = 2026, scale: int = 1) -> tuple[tuple[str, str], ...]:
    """Who supplies whom, as ``(from location code, to location code)``, upstream first: supplier →
    factory → central warehouse → national distributors → sub-distributors → hospitals (abroad:
    our US warehouse or the central warehouse → importer → hospitals). Shipments follow these links."""
    return _network_plan(seed, scale).links


def demo_chains(seed: int = 2026, scale: int = 1) -> tuple[tuple[str, ...], ...]:
    """Whole paths from our warehouse to a hospital's site (first replica), for examples and tests."""
    return _network_plan(seed, scale).chains


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _replica_lots(seed: int, index: int, replica: int) -> tuple[LotPlan, ...]:
    """The lots of product ``index`` in copy ``replica``, oldest first; the same at every scale."""
    product = PRODUCTS[index]
    serialised = product.tracking == TrackingLevel.SERIAL
    rng = _rng(seed, "lots", product.model_code, replica)
    made = sorted(
        FIRST_MANUFACTURE + timedelta(days=rng.randrange(MANUFACTURE_SPAN_DAYS))
        for _n in range(rng.randint(*LOTS_PER_REPLICA))
    )
    lots: list[LotPlan] = []
    for position, day in enumerate(made):
        sequence = replica * LOTS_PER_REPLICA[1] + position + 1
        units = rng.randint(*SERIALS_PER_LOT) if serialised else 0
        low, high, step = product.lot_quantity
        lots.append(
            LotPlan(
                product=index,
                sequence=sequence,
                number=f"{product.lot_prefix}{day:%y%m}{sequence:04d}",
                manufactured_on=day,
                expires_on=_add_years(day, product.shelf_life_years),
                quantity_produced=units or rng.randrange(low, high + 1, step),
                units=units,
            )
        )
    return tuple(lots)


@lru_cache(maxsize=8)
def _lot_plans(seed: int, scale: int) -> tuple[LotPlan, ...]:
    return tuple(
        lot
        for index in range(len(PRODUCTS))
        for replica in range(scale)
        for lot in _replica_lots(seed, index, replica)
    )


# --- trace events: how every lot moved down the network -----------------------------------------

EVENT_FIELDS = FIELDS  # the events template's columns (the importer's parser reads this order)
EventRow = tuple[str, ...]  # the events template's columns, in ``EVENT_FIELDS`` order

QUARANTINES = (
    OWN_DC_QUARANTINE,
    OWN_DC_QUARANTINE,
    OWN_FACTORY_QUARANTINE,
)  # where returns go, weighted
IN_TRANSIT_SHARE = 0.04  # shipments not received yet
EXPORT_SHARE = 0.3  # lots of which a part goes through the US warehouse
QC_DESTROY_SHARE = 0.08  # lots with a few units scrapped at the factory after inspection
RETURN_SHARE = 0.05  # hospital holdings with units sent back to quarantine
DESTROY_RETURNED_SHARE = 0.5  # returns found defective and destroyed
# Per supplying level (our warehouses by code, distributors by code prefix): (how many of its
# customers to supply, lowest and highest share kept in stock, days in stock before shipping).
FAN_OUT: dict[str, tuple[tuple[int, int], tuple[float, float], tuple[int, int]]] = {
    OWN_DC: ((2, 4), (0.0, 0.1), (3, 30)),
    OWN_US: ((1, 1), (0.0, 0.1), (5, 20)),
    "ND": ((2, 4), (0.05, 0.2), (2, 20)),
    "SD": ((1, 3), (0.05, 0.2), (2, 15)),
}
TRANSIT_DAYS = {OWN_DC: (1, 2), OWN_US: (18, 30), "ND": (1, 4), "SD": (1, 3)}


def _battery_index() -> int:
    return next(i for i, p in enumerate(PRODUCTS) if p.manufacturer == SUPPLIER_NAME)


def _pump_index() -> int:
    return next(i for i, p in enumerate(PRODUCTS) if p.model_code == "IP-3000")


# Within a block of lots, the battery lots come after the pump lots they go into, so that any
# prefix of the stream (``limit``) names only finished lots it has already produced.
EMIT_ORDER = tuple(sorted(range(len(PRODUCTS)), key=lambda i: i == _battery_index()))


@lru_cache(maxsize=4096)
def _day_text(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


@lru_cache(maxsize=4096)
def _doc_day(ordinal: int) -> str:
    return date.fromordinal(ordinal).strftime("%y%m%d")


def _stamp(ordinal: int, hour: int, minute: int) -> str:
    return f"{_day_text(ordinal)}T{hour:02d}:{minute:02d}:00+08:00"


def _replica_children(network: NetworkPlan, replica: int) -> dict[str, tuple[str, ...]]:
    """Who each location supplies within one copy of the network (plus the shared own links), so
    that a lot's events do not change when the scale does."""
    starts = network.replica_starts
    end = starts[replica + 1] if replica + 1 < len(starts) else len(network.links)
    children: dict[str, list[str]] = {}
    for source, target in (*network.links[: starts[0]], *network.links[starts[replica] : end]):
        children.setdefault(source, []).append(target)
    return {source: tuple(targets) for source, targets in children.items()}


def _event_blocks(
    seed: int, scale: int, lots_per_model: int | None
) -> Iterator[tuple[int, tuple[tuple[LotPlan, ...], ...]]]:
    """``(network copy, lots per product)``: the demo's own lots copy by copy, then (for load
    tests asking for more lots) further blocks made the same way, shipped round the copies."""
    taken = [0] * len(PRODUCTS)
    block = 0
    while block < scale if lots_per_model is None else min(taken) < lots_per_model:
        lots = []
        for index in range(len(PRODUCTS)):
            found = _replica_lots(seed, index, block)
            if lots_per_model is not None:
                found = found[: max(0, lots_per_model - taken[index])]
            taken[index] += len(found)
            lots.append(found)
        yield block % scale, tuple(lots)
        block += 1


def _battery_feeds(
    pumps: Sequence[LotPlan], batteries: Sequence[LotPlan]
) -> dict[str, list[tuple[LotPlan, int]]]:
    """``battery lot → [(pump lot, batteries wanted)]``: pump lot *i* takes half its batteries from
    battery lot *i* and half from lot *i + 1*, so that a battery recall reaches several pump lots."""
    feeds: dict[str, list[tuple[LotPlan, int]]] = {}
    for i, pump in enumerate(pumps[: len(batteries)]):
        if i + 1 < len(batteries):
            first = (pump.units + 1) // 2
            feeds.setdefault(batteries[i].number, []).append((pump, first))
            feeds.setdefault(batteries[i + 1].number, []).append((pump, pump.units - first))
        else:
            feeds.setdefault(batteries[i].number, []).append((pump, pump.units))
    return feeds


Units = list[str] | int  # serial numbers of a serial-tracked lot, or a count of a lot-tracked one


class _LotFlow:
    """The events of one lot, walked down one copy of the network: made at the factory (or, for the
    battery, at the supplier and built into pumps), shipped in split, partial deliveries, received
    (mostly), used, installed, returned to quarantine, destroyed.

    A holding is what arrived at a location; only part of it is passed on, so nothing leaves a
    location that did not arrive there and no balance can go negative."""

    def __init__(
        self,
        seed: int,
        lot: LotPlan,
        children: dict[str, tuple[str, ...]],
        feeds: Sequence[tuple[LotPlan, int]] = (),
    ) -> None:
        product = PRODUCTS[lot.product]
        self.lot, self.product, self.children, self.feeds = lot, product, children, feeds
        self.rng = _rng(seed, "events", product.model_code, lot.sequence)
        self.key = f"D{seed}-{lot.number}-"
        self.gtin, self.number = product.gtin, lot.number
        self.serialised = lot.units > 0
        self.pack = 1 if self.serialised else max(1, product.lot_quantity[2] // 10)
        self.rows: list[EventRow] = []
        self.docs = 0

    # -- rows --------------------------------------------------------------------------------
    def emit(
        self,
        kind: str,
        stamp: str,
        units: Units,
        source: str,
        target: str,
        doc: str,
        into_lot: LotPlan | None = None,
    ) -> None:
        made, expiry = (
            ("", "")
            if kind != "produced"
            else (self.lot.manufactured_on.isoformat(), self.lot.expires_on.isoformat())
        )
        into_gtin, into_number = (
            ("", "") if into_lot is None else (PRODUCTS[into_lot.product].gtin, into_lot.number)
        )
        start, key, gtin, number = len(self.rows), self.key, self.gtin, self.number
        if isinstance(units, list):
            self.rows.extend(
                (
                    f"{key}{start + i:05d}",
                    kind,
                    stamp,
                    gtin,
                    number,
                    serial,
                    "1",
                    source,
                    target,
                    doc,
                    made,
                    expiry,
                    into_gtin,
                    into_number,
                )
                for i, serial in enumerate(units)
            )
        else:
            self.rows.append(
                (
                    f"{key}{start:05d}",
                    kind,
                    stamp,
                    gtin,
                    number,
                    "",
                    str(units),
                    source,
                    target,
                    doc,
                    made,
                    expiry,
                    into_gtin,
                    into_number,
                )
            )

    def doc(self, prefix: str, day: int) -> str:
        """A business document number (delivery note, return authorisation…), unique in the lot."""
        self.docs += 1
        return f"{prefix}{_doc_day(day)}{self.docs:04d}"

    # -- holdings ----------------------------------------------------------------------------
    def count(self, units: Units) -> int:
        return len(units) if isinstance(units, list) else units

    def take(self, units: Units, amount: int) -> tuple[Units, Units]:
        if isinstance(units, list):
            return units[:amount], units[amount:]
        return amount, units - amount

    def split(self, units: Units, parts: int, keep: float) -> tuple[list[Units], Units]:
        """Up to ``parts`` deliveries of random sizes, whole packs, and the rest (about ``keep``) left."""
        packs = self.count(units) // self.pack
        moving = packs - int(packs * keep)
        parts = min(parts, moving)
        if parts <= 0:
            return [], units
        weights = [self.rng.random() + 0.3 for _n in range(parts)]
        total = sum(weights)
        sizes = [int(moving * w / total) for w in weights]
        for extra in range(moving - sum(sizes)):  # what rounding down left over
            sizes[extra % parts] += 1
        deliveries: list[Units] = []
        rest = units
        for size in sizes:
            if size > 0:
                part, rest = self.take(rest, size * self.pack)
                deliveries.append(part)
        return deliveries, rest

    # -- the walk ----------------------------------------------------------------------------
    def run(self) -> list[EventRow]:
        day = self.lot.manufactured_on.toordinal()
        if self.product.manufacturer == SUPPLIER_NAME:
            self.component(day)
            return self.rows
        rng = self.rng
        units: Units = (
            [self.lot.serial(u) for u in range(1, self.lot.units + 1)]
            if self.serialised
            else self.lot.quantity_produced
        )
        self.emit(
            "produced",
            _stamp(day, 8, rng.randrange(60)),
            units,
            "",
            OWN_FACTORY,
            f"MO-{self.number}",
        )
        if rng.random() < QC_DESTROY_SHARE:
            scrapped, units = self.take(units, self.pack * rng.randint(1, 3))
            self.emit(
                "destroyed",
                _stamp(day + 1, 16, rng.randrange(60)),
                scrapped,
                OWN_FACTORY,
                "",
                self.doc("QC", day + 1),
            )
        day += rng.randint(1, 3)
        if OWN_US in self.children.get(OWN_FACTORY, ()) and rng.random() < EXPORT_SHARE:
            exports, units = self.split(units, 1, 1 - rng.uniform(0.1, 0.25))
            for part in exports:
                self.deliver(OWN_FACTORY, OWN_US, part, day, (14, 21))
        deliveries, _retained = self.split(
            units, rng.randint(1, 2), 0.0 if self.serialised else 0.01
        )
        for number, part in enumerate(deliveries):
            self.deliver(OWN_FACTORY, OWN_DC, part, day + 7 * number, (1, 2))
        return self.rows

    def deliver(
        self, source: str, target: str, units: Units, day: int, transit: tuple[int, int]
    ) -> None:
        """Ship ``units`` with one delivery note; most arrive and go on from there."""
        rng = self.rng
        doc = self.doc("DN", day)
        self.emit("shipped", _stamp(day, 10, rng.randrange(60)), units, source, target, doc)
        if rng.random() < IN_TRANSIT_SHARE:
            return
        day += rng.randint(*transit)
        self.emit("received", _stamp(day, 14, rng.randrange(60)), units, source, target, doc)
        self.hold(target, units, day)

    def hold(self, location: str, units: Units, day: int) -> None:
        """Units arrived at ``location``: pass most of them on, or use them at a hospital."""
        targets = self.children.get(location)
        if not targets:
            self.use(location, units, day)
            return
        level = (
            location if location in FAN_OUT else location[:2]
        )  # ND-… national, SD-… sub-distributor
        (low, high), (keep_low, keep_high), (wait_low, wait_high) = FAN_OUT[level]
        rng = self.rng
        deliveries, _kept = self.split(
            units, min(len(targets), rng.randint(low, high)), rng.uniform(keep_low, keep_high)
        )
        for target, part in zip(rng.sample(targets, len(deliveries)), deliveries, strict=True):
            self.deliver(
                location, target, part, day + rng.randint(wait_low, wait_high), TRANSIT_DAYS[level]
            )

    def use(self, hospital: str, units: Units, day: int) -> None:
        """Implant pacemakers, install some pumps and monitors, use up catheters; a few go back."""
        rng = self.rng
        count = self.count(units)
        if self.product.implantable:
            used, units = self.take(units, int(count * rng.uniform(0.5, 0.9)))
            kind = "consumed"
        elif self.serialised:
            used, units = self.take(units, int(count * rng.uniform(0.2, 0.5)))
            kind = "installed"
        else:
            packs = count // self.pack
            used, units = self.take(units, self.pack * int(packs * rng.uniform(0.3, 0.9)))
            kind = "consumed"
        for part in self.split(used, rng.randint(1, 3), 0.0)[0]:
            day += rng.randint(1, 30)
            source, target = (hospital, "") if kind == "consumed" else ("", hospital)
            self.emit(
                kind,
                _stamp(day, 9, rng.randrange(60)),
                part,
                source,
                target,
                self.doc("OR" if kind == "consumed" else "IR", day),
            )
        if self.count(units) >= self.pack and rng.random() < RETURN_SHARE:
            returned, units = self.take(
                units, self.pack * rng.randint(1, min(3, self.count(units) // self.pack))
            )
            day += rng.randint(5, 60)
            quarantine = rng.choice(QUARANTINES)
            self.emit(
                "returned",
                _stamp(day, 11, rng.randrange(60)),
                returned,
                hospital,
                quarantine,
                self.doc("RMA", day),
            )
            if rng.random() < DESTROY_RETURNED_SHARE:
                day += rng.randint(10, 40)
                self.emit(
                    "destroyed",
                    _stamp(day, 16, rng.randrange(60)),
                    returned,
                    quarantine,
                    "",
                    self.doc("DS", day),
                )

    def component(self, day: int) -> None:
        """The battery: made at the supplier, delivered to our factory, built into pump lots."""
        rng = self.rng
        stock = self.lot.quantity_produced
        self.emit(
            "produced",
            _stamp(day, 8, rng.randrange(60)),
            stock,
            "",
            SUPPLIER_WAREHOUSE,
            f"MO-{self.number}",
        )
        arrived = day
        for number, part in enumerate(self.split(stock, rng.randint(1, 2), 0.0)[0]):
            shipped = day + 2 + 5 * number
            doc = self.doc("DN", shipped)
            self.emit(
                "shipped",
                _stamp(shipped, 10, rng.randrange(60)),
                part,
                SUPPLIER_WAREHOUSE,
                OWN_FACTORY,
                doc,
            )
            arrived = shipped + 1
            self.emit(
                "received",
                _stamp(arrived, 14, rng.randrange(60)),
                part,
                SUPPLIER_WAREHOUSE,
                OWN_FACTORY,
                doc,
            )
        stock = self.lot.quantity_produced
        for pump, wanted in self.feeds:
            built = min(wanted, stock)
            if built <= 0:
                break
            stock -= built
            when = max(pump.manufactured_on.toordinal(), arrived + 1)
            self.emit(
                "transformed",
                _stamp(when, 7, rng.randrange(60)),
                built,
                OWN_FACTORY,
                "",
                f"MO-{pump.number}",
                into_lot=pump,
            )


def demo_event_rows(
    *, seed: int = 2026, scale: int = 1, lots_per_model: int | None = None, limit: int | None = None
) -> Iterator[EventRow]:
    """The demo's trace events as tuples in ``EVENT_FIELDS`` order (the fast path for big files).

    Without ``lots_per_model`` these are the events of the lots ``demo_build`` writes; with it,
    that many lots per device model (further lots are made up like the demo's own and created by
    the import from their ``produced`` events). ``limit`` stops after that many rows: every prefix
    of the stream is a valid file (a shipment before its receipt, pump lots before the battery)."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    network = _network_plan(seed, scale)
    trees: dict[int, dict[str, tuple[str, ...]]] = {}
    battery, pump = _battery_index(), _pump_index()
    left = limit
    for replica, lots in _event_blocks(seed, scale, lots_per_model):
        children = trees.get(replica)
        if children is None:
            children = trees[replica] = _replica_children(network, replica)
        feeds = _battery_feeds(lots[pump], lots[battery])
        for position in range(max(map(len, lots))):
            for index in EMIT_ORDER:
                if position >= len(lots[index]):
                    continue
                lot = lots[index][position]
                rows = _LotFlow(seed, lot, children, feeds.get(lot.number, ())).run()
                if left is not None:
                    if len(rows) >= left:
                        yield from rows[:left]
                        return
                    left -= len(rows)
                yield from rows


def demo_events(
    *, seed: int = 2026, scale: int = 1, lots_per_model: int | None = None, limit: int | None = None
) -> Iterator[dict[str, str]]:
    """The demo's trace events as rows of the events template (column → text), ready for
    ``import_event_rows`` or a CSV file; deterministic for (seed, scale, lots_per_model)."""
    for row in demo_event_rows(seed=seed, scale=scale, lots_per_model=lots_per_model, limit=limit):
        yield dict(zip(EVENT_FIELDS, row, strict=True))


def write_demo_events(
    path: Path,
    *,
    seed: int = 2026,
    scale: int = 1,
    lots_per_model: int | None = None,
    limit: int | None = None,
) -> int:
    """Write the events template CSV for load tests (a million rows in under two seconds); returns
    the number of rows. The demo's values (codes, numbers, ISO times) never hold a comma, quote or
    line break, so rows are joined directly: the ``csv`` module's quoting checks would double the
    time."""
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(EVENT_FIELDS) + "\n")
        batch: list[EventRow] = []
        for row in demo_event_rows(
            seed=seed, scale=scale, lots_per_model=lots_per_model, limit=limit
        ):
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                out.write("\n".join(map(",".join, batch)) + "\n")
                written += len(batch)
                batch.clear()
        if batch:
            out.write("\n".join(map(",".join, batch)) + "\n")
            written += len(batch)
    return written


@dataclass(frozen=True, slots=True)
class LoginPlan:
    username: str
    role: str
    language: str
    first_name: str
    last_name: str
    party: str = ""
    is_staff: bool = False
    is_superuser: bool = False


STAFF_PEOPLE = {  # role -> (language, given name, family name)
    Role.QA_RA_MANAGER: ("zh-hans", "芳", "王"),
    Role.TRACEABILITY_ANALYST: ("en", "Emily", "Chen"),
    Role.CUSTOMER_SERVICE: ("zh-hans", "娜", "李"),
    Role.WAREHOUSE: ("zh-hans", "伟", "张"),
    Role.FIELD_SERVICE: ("zh-hans", "强", "刘"),
    Role.FINANCE: ("en", "Daniel", "Wu"),
    Role.VIEWER: ("en", "Sarah", "Miller"),
    Role.ADMINISTRATOR: ("en", "Alex", "Admin"),
}


def _login_plans() -> tuple[LoginPlan, ...]:
    """A user per staff role (named after it), a second QA/RA manager (the regulatory-affairs
    manager: a Class I recall needs two different signers, the QA head and the RA head), a
    second finance user (four-eyes approval of refunds), the superuser, and a portal user per kind of customer."""
    staff = []
    for role in ROLE_LABELS:
        if role == Role.PORTAL:
            continue
        language, first_name, last_name = STAFF_PEOPLE.get(role, ("en", "", ""))
        staff.append(
            LoginPlan(
                username=role,
                role=role,
                language=language,
                first_name=first_name,
                last_name=last_name,
                is_staff=role == Role.ADMINISTRATOR,
            )
        )
    return (
        *staff,
        LoginPlan("ra_manager", Role.QA_RA_MANAGER, "zh-hans", "静", "陈"),
        # A second finance user: a refund at or above the four-eyes threshold is requested by
        # one finance user and approved by another.
        LoginPlan("finance_approver", Role.FINANCE, "zh-hans", "敏", "周"),
        LoginPlan(
            "admin",
            Role.ADMINISTRATOR,
            "en",
            "Site",
            "Administrator",
            is_staff=True,
            is_superuser=True,
        ),
        LoginPlan(
            "portal_distributor", Role.PORTAL, "zh-hans", "敏", "陈", party=PORTAL_DISTRIBUTOR_PARTY
        ),
        LoginPlan(
            "portal_hospital", Role.PORTAL, "zh-hans", "静", "杨", party=PORTAL_HOSPITAL_PARTY
        ),
    )


# --- writing -------------------------------------------------------------------------------------


class _Progress:
    """Counts rows written or found already there, and reports them to the caller's callback."""

    def __init__(self, report: Callable[[int, int], None] | None, total: int) -> None:
        self.report, self.total, self.done = report, total, 0

    def advance(self, count: int) -> None:
        self.done += count
        if self.report is not None:
            self.report(min(self.done, self.total), self.total)


def _chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bulk_create(model: type[M], rows: list[M], tick: _Progress) -> None:
    for chunk in _chunks(rows, BATCH_SIZE):
        model._default_manager.bulk_create(chunk, batch_size=BATCH_SIZE)
        tick.advance(len(chunk))


def _existing_codes(model: type[models.Model], codes: Sequence[str]) -> dict[str, int]:
    """``code → pk`` for the codes already stored, a chunk of keys per query."""
    found: dict[str, int] = {}
    for chunk in _chunks(codes):
        found.update(model._default_manager.filter(code__in=chunk).values_list("code", "pk"))
    return found


def _write_device_models(tick: _Progress) -> tuple[dict[int, int], int]:
    """``product index → pk``, and how many were created."""
    gtins = [p.gtin for p in PRODUCTS]
    existing = dict(DeviceModel.objects.filter(udi_di__in=gtins).values_list("udi_di", "pk"))
    new = [
        DeviceModel(
            udi_di=p.gtin,
            model_code=p.model_code,
            name=p.name,
            name_en=p.name_en,
            brand=p.brand,
            catalog_number=f"{p.model_code}-CN",
            manufacturer=p.manufacturer,
            description=p.description,
            risk_class_nmpa=p.risk_class_nmpa,
            risk_class_fda=p.risk_class_fda,
            risk_class_eu=p.risk_class_eu,
            registration_no=p.registration_no,
            clearance_no=p.clearance_no,
            implantable=p.implantable,
            tracking=p.tracking,
            expected_lifetime_years=p.lifetime_years,
        )
        for p in PRODUCTS
        if p.gtin not in existing
    ]
    DeviceModel.objects.bulk_create(new, batch_size=BATCH_SIZE)
    existing.update(
        DeviceModel.objects.filter(udi_di__in=[m.udi_di for m in new]).values_list("udi_di", "pk")
    )
    tick.advance(len(PRODUCTS))
    return {index: existing[p.gtin] for index, p in enumerate(PRODUCTS)}, len(new)


def _write_parties(plan: NetworkPlan, tick: _Progress) -> tuple[dict[str, int], int, int, int]:
    """``party code → pk``, and how many parties, locations and contacts were created."""
    codes = [p.code for p in plan.parties]
    party_ids = _existing_codes(Party, codes)
    new_parties = [
        Party(
            code=p.code,
            name=p.name,
            name_en=p.name_en,
            party_type=p.party_type,
            language=p.language,
            preferred_channel=p.preferred_channel,
            notes=p.notes,
            address_en=p.place.address_en,
            **p.place.fields(),
        )
        for p in plan.parties
        if p.code not in party_ids
    ]
    _bulk_create(Party, new_parties, tick)
    tick.advance(len(plan.parties) - len(new_parties))
    if new_parties:
        party_ids.update(_existing_codes(Party, [p.code for p in new_parties]))

    location_codes = [loc.code for p in plan.parties for loc in p.locations]
    known_locations = _existing_codes(Location, location_codes)
    new_locations = [
        Location(
            code=loc.code,
            name=loc.name,
            location_type=loc.location_type,
            party_id=party_ids[p.code],
            **loc.place.fields(),
        )
        for p in plan.parties
        for loc in p.locations
        if loc.code not in known_locations
    ]
    _bulk_create(Location, new_locations, tick)
    tick.advance(len(location_codes) - len(new_locations))

    ids = list(party_ids.values())
    known_contacts: set[tuple[int, str]] = set()
    for chunk in _chunks(ids):
        known_contacts.update(
            Contact.objects.filter(party_id__in=chunk).values_list("party_id", "name")
        )
    planned_contacts = sum(len(p.contacts) for p in plan.parties)
    new_contacts = [
        Contact(
            party_id=party_ids[p.code],
            name=c.name,
            title=c.title,
            email=c.email,
            phone=c.phone,
            preferred_channel=c.preferred_channel,
            language=c.language,
            is_primary=c.is_primary,
        )
        for p in plan.parties
        for c in p.contacts
        if (party_ids[p.code], c.name) not in known_contacts
    ]
    _bulk_create(Contact, new_contacts, tick)
    tick.advance(planned_contacts - len(new_contacts))
    return party_ids, len(new_parties), len(new_locations), len(new_contacts)


def _known_lots(model_ids: dict[int, int]) -> dict[tuple[int, str], int]:
    rows = Lot.objects.filter(device_model_id__in=model_ids.values()).values_list(
        "device_model_id", "number", "pk"
    )
    return {(model_id, number): pk for model_id, number, pk in rows}


def _write_lots(
    lots: tuple[LotPlan, ...], model_ids: dict[int, int], tick: _Progress
) -> tuple[int, int]:
    """How many lots and serials were created."""
    known_lots = _known_lots(model_ids)
    new_lots = [
        Lot(
            device_model_id=model_ids[lot.product],
            number=lot.number,
            manufactured_on=lot.manufactured_on,
            expires_on=lot.expires_on,
            quantity_produced=lot.quantity_produced,
        )
        for lot in lots
        if (model_ids[lot.product], lot.number) not in known_lots
    ]
    _bulk_create(Lot, new_lots, tick)
    tick.advance(len(lots) - len(new_lots))
    if new_lots:
        known_lots = _known_lots(model_ids)

    serial_models = [
        model_ids[i] for i, p in enumerate(PRODUCTS) if p.tracking == TrackingLevel.SERIAL
    ]
    known_serials = set(
        Serial.objects.filter(device_model_id__in=serial_models).values_list(
            "device_model_id", "serial"
        )
    )
    created = handled = 0
    batch: list[Serial] = []
    for lot in lots:
        model_id = model_ids[lot.product]
        lot_id = known_lots[(model_id, lot.number)]
        for unit in range(1, lot.units + 1):
            handled += 1
            number = lot.serial(unit)
            if (model_id, number) not in known_serials:
                batch.append(
                    Serial(
                        device_model_id=model_id,
                        lot_id=lot_id,
                        serial=number,
                        manufactured_on=lot.manufactured_on,
                    )
                )
            if handled == BATCH_SIZE:
                Serial.objects.bulk_create(batch, batch_size=BATCH_SIZE)
                created += len(batch)
                tick.advance(handled)
                batch, handled = [], 0
    Serial.objects.bulk_create(batch, batch_size=BATCH_SIZE)
    created += len(batch)
    tick.advance(handled)
    return len(new_lots), created


def _write_users(logins: tuple[LoginPlan, ...], party_ids: dict[str, int], tick: _Progress) -> int:
    """Create the missing demo users; users already there are left as they are."""
    roles = {login.role for login in logins}
    groups = dict(Group.objects.filter(name__in=roles).values_list("name", "pk"))
    if roles - groups.keys():  # a database migrated before the roles existed
        roles_sync()
        groups = dict(Group.objects.filter(name__in=roles).values_list("name", "pk"))
    usernames = [login.username for login in logins]
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    # One hash for all: the password is published anyway, and hashing once keeps the build fast.
    encoded = make_password(DEMO_PASSWORD)
    new = [
        User(
            username=login.username,
            password=encoded,
            email=f"{login.username}@medrecall.example.com",
            first_name=login.first_name,
            last_name=login.last_name,
            language=login.language,
            party_id=party_ids[login.party] if login.party else None,
            is_staff=login.is_staff,
            is_superuser=login.is_superuser,
        )
        for login in logins
        if login.username not in existing
    ]
    User.objects.bulk_create(new)
    user_ids = dict(
        User.objects.filter(username__in=[u.username for u in new]).values_list("username", "pk")
    )
    membership = User.groups.through
    membership.objects.bulk_create(
        [
            membership(user_id=user_ids[login.username], group_id=groups[login.role])
            for login in logins
            if login.username in user_ids
        ]
    )
    tick.advance(len(logins))
    return len(new)


class _TraceExamples:
    """Picks, from the events as they are written, the units that make good trace examples."""

    def __init__(self) -> None:
        self.found: dict[str, DemoTrace] = {}
        self.built_into: dict[str, set[str]] = {}  # component lot → finished lots
        self.catheter = next(p.gtin for p in PRODUCTS if p.model_code == "CVC-3L-7F")
        self.pacemaker = next(p.gtin for p in PRODUCTS if p.implantable)
        self.pump = PRODUCTS[_pump_index()].gtin

    def add(self, key: str, purpose: str, direction: str, row: EventRow, *, serial: bool) -> None:
        if key in self.found:
            return
        gtin, lot, number = row[3], row[4], row[5] if serial else ""
        unit = f"--serial {number}" if serial else f"--lot {lot}"
        self.found[key] = DemoTrace(
            purpose=purpose,
            direction=direction,
            gtin=gtin,
            lot=lot,
            serial=number,
            command=f"medrecall trace {direction} --gtin {gtin} {unit}",
        )

    def see(self, row: EventRow) -> None:
        kind, gtin = row[1], row[3]
        if kind == "produced" and gtin == self.catheter:
            self.add(
                "catheter",
                "Where did a catheter lot go: every holder, in transit, used up",
                "forward",
                row,
                serial=False,
            )
        elif kind == "consumed" and gtin == self.pacemaker:
            self.add(
                "pacemaker",
                "An implanted pacemaker, back to the factory",
                "backward",
                row,
                serial=True,
            )
        elif kind == "transformed":
            finished = self.built_into.setdefault(row[4], set())
            finished.add(row[13])
            if len(finished) < 2:  # show a lot that went into several pump lots
                return
            self.add(
                "battery",
                "A battery lot, through genealogy into the pump lots built with it",
                "forward",
                row,
                serial=False,
            )
        elif kind == "installed" and gtin == self.pump:
            self.add(
                "pump", "An infusion pump installed at a hospital", "forward", row, serial=True
            )
        elif kind == "returned" and gtin != self.pump:
            self.add(
                "returned", "A lot with units returned to quarantine", "forward", row, serial=False
            )

    def traces(self) -> tuple[DemoTrace, ...]:
        order = ("catheter", "pacemaker", "battery", "pump", "returned")
        return tuple(self.found[key] for key in order if key in self.found)


def _scan_demo_events(seed: int, scale: int) -> tuple[int, tuple[DemoTrace, ...]]:
    """How many events the demo holds, and the trace examples among them (a quick first pass)."""
    examples = _TraceExamples()
    count = 0
    for row in demo_event_rows(seed=seed, scale=scale):
        examples.see(row)
        count += 1
    return count, examples.traces()


def _import_demo_events(seed: int, scale: int, tick: _Progress) -> int:
    """Import the events through the product's own importer (checks, genealogy, positions, audit)
    as one file, streamed; how many were created."""
    size = tick.total - tick.done
    start = tick.done

    def report(done: int, total: int) -> None:  # the importer reports percent
        tick.done = start + size * done // max(total, 1)
        tick.advance(0)

    rows = enumerate(demo_events(seed=seed, scale=scale), start=2)
    outcome = import_event_rows(
        rows, file_name="demo-events.csv", kind="events", actor="medrecall demo", progress=report
    )
    if not outcome.accepted:
        problems = "; ".join(f"row {e.row} {e.column}: {e.message}" for e in outcome.errors[:5])
        raise RuntimeError(
            f"the demo's own events were refused ({len(outcome.errors)} problems): {problems}"
        )
    return outcome.created


def demo_build(
    *,
    seed: int = 2026,
    scale: int = 1,
    events: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write the demo set for ``seed`` and ``scale``: what is missing is created, nothing is changed.

    ``scale`` copies the distribution network (parties, locations, contacts) and the lots with
    their serials ``scale`` times; device models, our own sites, carriers and the supplier stay
    single. With ``events`` the lots' trace events (``demo_events``) are imported through the
    events importer, so that traces, positions and recalls have something to show; their ids are
    stable, so a rerun adds none. ``progress(done, total)`` is called as rows are written."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    network = _network_plan(seed, scale)
    lots = _lot_plans(seed, scale)
    logins = _login_plans()
    event_count, traces = _scan_demo_events(seed, scale) if events else (0, ())
    planned = DemoCounts(
        parties=len(network.parties),
        locations=sum(len(p.locations) for p in network.parties),
        contacts=sum(len(p.contacts) for p in network.parties),
        device_models=len(PRODUCTS),
        lots=len(lots),
        serials=sum(lot.units for lot in lots),
        users=len(logins),
        events=event_count,
    )
    tick = _Progress(progress, planned.total)
    with transaction.atomic():
        created = _write_demo(
            network, lots, logins, seed=seed, scale=scale, events=events, tick=tick
        )
    return DemoSummary(
        seed=seed,
        scale=scale,
        created=created,
        planned=planned,
        logins=tuple(
            DemoLogin(
                username=login.username,
                role=login.role,
                password=DEMO_PASSWORD,
                language=login.language,
                party=login.party,
            )
            for login in logins
        ),
        products=_demo_products(lots),
        own_locations=tuple(loc.code for loc in network.parties[0].locations),
        chains=network.chains,
        network_links=len(network.links),
        notes=(
            f"Users that already existed were left unchanged; the others have the password {DEMO_PASSWORD}.",
            "demo_network(seed, scale) gives every supply link; chains list the first replica only.",
            "Trace events follow the supply links; their ids are stable, so a rerun imports none twice.",
        ),
        traces=traces,
    )


def _write_demo(
    network: NetworkPlan,
    lots: tuple[LotPlan, ...],
    logins: tuple[LoginPlan, ...],
    *,
    seed: int,
    scale: int,
    events: bool,
    tick: _Progress,
) -> DemoCounts:
    """Write what is missing of the plan (inside the caller's transaction); one audit entry
    says what was created."""
    model_ids, models_created = _write_device_models(tick)
    party_ids, parties_created, locations_created, contacts_created = _write_parties(network, tick)
    lots_created, serials_created = _write_lots(lots, model_ids, tick)
    users_created = _write_users(logins, party_ids, tick)
    events_created = _import_demo_events(seed, scale, tick) if events else 0
    created = DemoCounts(
        parties=parties_created,
        locations=locations_created,
        contacts=contacts_created,
        device_models=models_created,
        lots=lots_created,
        serials=serials_created,
        users=users_created,
        events=events_created,
    )
    if created.total:
        audit.record(
            actor="medrecall demo",
            action="cli.demo_built",
            target_type="demo",
            target_id=str(seed),
            target_label=f"demo data seed {seed} scale {scale}",
            changes=asdict(created),
        )
    return created


def _demo_products(lots: Sequence[LotPlan]) -> tuple[DemoProduct, ...]:
    """Each device model with its first lot (and that lot's first serial, where it has any)."""
    first_lots: dict[int, LotPlan] = {}
    for lot in lots:
        first_lots.setdefault(lot.product, lot)
    return tuple(
        DemoProduct(
            model_code=p.model_code,
            gtin=p.gtin,
            tracking=p.tracking,
            first_lot=first_lots[i].number,
            first_serial=first_lots[i].serial(1) if first_lots[i].units else "",
        )
        for i, p in enumerate(PRODUCTS)
    )
