"""Chinese queries over English records: FDA's root-cause vocabulary in both languages, and a
small bilingual glossary of device and recall words.

The public records are in English. A Chinese query is read by finding, longest first, the
root-cause names and glossary words it contains; each becomes its English words (a root cause
also becomes a root-cause criterion). Latin letters and digits in the query (a product code, a
model number) are kept as they are. What the glossary does not know is reported back, so the
user sees which words were not used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.functional import Promise

from .vocabulary import FdaRootCause

# FDA's root-cause vocabulary (``vocabulary.FdaRootCause``): FDA's text -> its label.
ROOT_CAUSES: dict[str, Promise] = {cause.value: cause.label for cause in FdaRootCause}

# The Chinese names of the root causes, for reading queries (the catalogue gives the same
# words for display; a query must be read the same whatever the page's language).
ROOT_CAUSES_ZH: dict[str, str] = {
    "部件变更控制": "Component change control",
    "部件设计": "Component design/selection",
    "部件选型": "Component design/selection",
    "假冒": "Counterfeit",
    "器械设计": "Device Design",
    "产品设计": "Device Design",
    "设计缺陷": "Device Design",
    "员工失误": "Employee error",
    "人为失误": "Employee error",
    "操作失误": "Employee error",
    "环境控制": "Environmental control",
    "设备维护": "Equipment maintenance",
    "标签错误": "Error in labeling",
    "成品变更控制": "Finished device change control",
    "有效期错误": "Incorrect or no expiration date",
    "标签变更控制": "Labeling Change Control",
    "标签设计": "Labeling design",
    "标签混淆": "Labeling mix-ups",
    "物料污染": "Material/Component Contamination",
    "部件污染": "Material/Component Contamination",
    "物料混淆": "Mixed-up of materials/components",
    "未获上市许可": "No Marketing Application",
    "不合格物料": "Nonconforming Material/Component",
    "不合格部件": "Nonconforming Material/Component",
    "包装变更控制": "Packaging change control",
    "包装设计": "Packaging design/selection",
    "包装过程控制": "Packaging process control",
    "工艺变更控制": "Process change control",
    "过程控制": "Process control",
    "工艺设计": "Process design",
    "再处理控制": "Reprocessing Controls",
    "软件变更控制": "Software change control",
    "软件设计": "Software design",
    "软件部署": "Software Manufacturing/Software Deployment",
    "供应商变更控制": "Vendor change control",
    "使用错误": "Use error",
    "储存": "Storage",
    "辐射控制": "Radiation Control for Health and Safety Act",
    "检验结果前放行": "Release of Material/Component prior to receiving test results",
}

# Device and recall words: Chinese -> English words as the records write them.
GLOSSARY: dict[str, str] = {
    "召回": "recall", "缺陷": "defect", "故障": "failure malfunction", "失效": "failure",
    "软件": "software", "硬件": "hardware", "固件": "firmware", "版本": "version",
    "标签": "label labeling", "说明书": "instructions labeling", "包装": "packaging package",
    "无菌": "sterile sterility", "灭菌": "sterilization sterile", "污染": "contamination",
    "破损": "damaged breach", "密封": "seal", "泄漏": "leak leakage", "渗漏": "leak",
    "尖端": "tip", "断裂": "fracture break", "破裂": "rupture crack", "裂纹": "crack", "脱落": "detach",
    "松动": "loose", "变形": "deformation", "腐蚀": "corrosion", "过热": "overheating",
    "起火": "fire", "烧伤": "burn", "电池": "battery", "电源": "power", "电源线": "power cord",
    "电缆": "cable", "连接器": "connector", "报警": "alarm", "警报": "alarm", "显示": "display",
    "屏幕": "screen display", "剂量": "dose dosage", "输液": "infusion", "输液泵": "infusion pump",
    "泵": "pump", "导管": "catheter", "导丝": "guidewire", "支架": "stent", "球囊": "balloon",
    "注射器": "syringe", "针": "needle", "穿刺": "puncture", "缝合": "suture", "吻合器": "stapler",
    "螺钉": "screw", "钢板": "plate", "椎间融合器": "cage fusion", "植入物": "implant",
    "植入": "implant", "假体": "prosthesis", "关节": "joint", "膝关节": "knee", "髋关节": "hip",
    "骨科": "orthopedic", "心脏": "cardiac heart", "起搏器": "pacemaker",
    "除颤器": "defibrillator", "呼吸机": "ventilator", "麻醉": "anesthesia",
    "监护仪": "monitor", "传感器": "sensor", "血糖": "glucose", "试剂": "reagent",
    "试剂盒": "kit reagent", "检测": "test assay", "诊断": "diagnostic", "结果错误": "erroneous results",
    "假阳性": "false positive", "假阴性": "false negative", "影像": "imaging image",
    "放射": "radiation", "辐射": "radiation", "超声": "ultrasound", "内窥镜": "endoscope",
    "手术": "surgical", "器械": "device instrument", "医疗器械": "medical device",
    "患者": "patient", "受伤": "injury", "伤害": "injury harm", "死亡": "death",
    "错误": "error incorrect", "不正确": "incorrect", "计算": "calculation", "延迟": "delay",
    "中断": "interruption", "停止": "stop", "无法": "unable", "尺寸": "size dimension",
    "规格": "specification", "超出规格": "out of specification", "不合格": "nonconforming",
    "供应商": "supplier vendor", "部件": "component", "零件": "component part",
    "材料": "material", "物料": "material", "批号": "lot", "序列号": "serial", "型号": "model",
    "有效期": "expiration", "过期": "expired", "储存": "storage", "温度": "temperature",
    "湿度": "humidity", "清洗": "cleaning", "消毒": "disinfection", "再处理": "reprocessing",
    "混淆": "mix-up mixed", "错贴": "mislabeled", "贴错": "mislabeled", "漏液": "leak",
    "气泡": "air bubble", "堵塞": "occlusion blockage", "过滤器": "filter", "阀": "valve",
    "透析": "dialysis", "血液": "blood", "手套": "glove", "口罩": "mask", "敷料": "dressing",
}  # fmt: skip

_LATIN = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff]+")
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "may",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "which",
        "with",
        "not",
        "due",
        "could",
        "can",
        "will",
        "be",
        "been",
        "being",
        "than",
        "into",
    ]
)


@dataclass
class ReadQuery:
    """A query as the search uses it: English words, root causes it names, and the Chinese
    fragments the glossary did not know."""

    words: list[str] = field(default_factory=list)
    root_causes: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _terms() -> list[tuple[str, str, bool]]:
    """Every Chinese term, longest first: (term, English, is a root cause)."""
    terms = [(zh, en, True) for zh, en in ROOT_CAUSES_ZH.items()]
    terms += [(zh, en, False) for zh, en in GLOSSARY.items()]
    return sorted(terms, key=lambda t: -len(t[0]))


def english_words(text: str) -> list[str]:
    """Lower-case words and numbers of English text, without stop words, each once."""
    seen: list[str] = []
    for word in _LATIN.findall(text.lower()):
        if len(word) > 1 and word not in STOP_WORDS and word not in seen:
            seen.append(word)
    return seen


def read_query(text: str) -> ReadQuery:
    """English words as they are; Chinese through the root causes and the glossary."""
    read = ReadQuery()
    english: list[str] = [text]
    for fragment in _HAN.findall(text):
        rest = fragment
        for term, meaning, is_cause in _terms():
            if term in rest:
                rest = rest.replace(term, " ")
                english.append(meaning)
                if is_cause and meaning not in read.root_causes:
                    read.root_causes.append(meaning)
        read.unknown += [piece for piece in rest.split() if piece.strip()]
    read.words = english_words(" ".join(english))
    return read


def root_cause_label(cause: str) -> str:
    """The root cause in the active language (as recorded when FDA's vocabulary lacks it)."""
    label = ROOT_CAUSES.get(cause)
    return str(label) if label is not None else cause
