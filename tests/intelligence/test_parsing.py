"""The free-text parsers on the real openFDA samples' values (shared/data/fda)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from medrecall.intelligence import parsing
from tests.intelligence.samples import WEEKLY_REPORT, recall_example


def _weekly_devices() -> list[dict[str, str]]:
    rows = [json.loads(line) for line in WEEKLY_REPORT.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("product-type") == "Devices"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20120716", date(2012, 7, 16)),
        ("2019-05-17", date(2019, 5, 17)),
        ("06/13/2012", date(2012, 6, 13)),
        ("", None),
    ],
    ids=["openfda", "iso", "weekly-report", "blank"],
)
def test_dates(text, expected):
    assert parsing.parse_fda_date(text) == expected


@pytest.mark.parametrize("text", ["20230231", "2023-13-01", "July 2012", "2012071"])
def test_bad_dates_raise(text):
    with pytest.raises(ValueError):  # noqa: PT011 - the importer turns any into a row error
        parsing.parse_fda_date(text)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("2246 units", 2246, "units"),
        ("1035 (U.S.)", 1035, ""),
        ("83 (63 USA, 20 OUS)", 83, ""),
        ("204,999 total", 204999, ""),
        ("US-  606", 606, ""),
        ("2,284 cases (137,040 Biological Indicators)", 2284, "cases"),
        ("664 Units FuseLOX Lumbar Implants, 176 Trials and 20 Inserters", 664, "units"),
        ("3,143", 3143, ""),
        ("33 units.", 33, "units"),
        ("", None, ""),
        ("not given", None, ""),
    ],
)
def test_quantities(text, value, unit):
    assert parsing.parse_quantity(text) == parsing.Quantity(value, unit)


def test_code_info_of_the_weekly_report_devices():
    codes = [parsing.parse_code_info(r["code-info"]).as_dict() for r in _weekly_devices()]

    assert codes == [
        {},  # "513602 00-001-BN 4/1/2014 …": no label, nothing read
        {"lots": ["214117", "216117", "217117", "227117", "227118", "228117"]},
        {
            "lots": ["6110100"],
            "lot_ranges": [
                ["07110002", "07110009"],
                ["07110010", "07110016"],
                ["8110001", "8110008"],
            ],
        },
        {"versions": ["3.2.0", "3.2.1", "3.2.3"]},
        {"lots": ["0312200152"]},
        {},  # "NR068K, TIBIA PLATEAU, FIXED, T0; …": catalogue numbers without a label
        {"lots": ["40041", "40043"]},
        {
            "lots": [
                "02031103",
                "09241101",
                "10251101",
                "06141101",
                "01201101",
                "01141102",
                "07211101",
                "01211102",
                "11201205",
                "12060204",
                "12070210",
                "12070211",
                "11201201",
                "11201202",
            ]
        },
        {},  # "Units: 0BMHX, …"
    ]


def test_code_info_of_the_documentation_examples():
    record = recall_example()

    assert parsing.parse_code_info(record["code_info"]).as_dict() == {
        "lots": [
            "13F18C0374",
            "13F18H0580",
            "13F18D0504",
            "13F18L0507",
            "13F18E0380",
            "13F18L0714",
            "13F18G0180",
            "13F18L0936",
            "13F18G0480",
        ]
    }
    assert parsing.parse_code_info("Lot 007A1037, Ref 010-55-25.").as_dict() == {
        "lots": ["007A1037"],
        "models": ["010-55-25"],
    }


def test_code_info_udis_serials_and_models():
    text = (
        "UDI-DI (01)00884521116460(17)250630(10)ABC123; Model 1234, "
        "Serial Numbers: A100, A101 and A102; S/N 5000 thru 5050"
    )

    assert parsing.parse_code_info(text).as_dict() == {
        "lots": ["ABC123"],
        "serials": ["A100", "A101", "A102"],
        "serial_ranges": [["5000", "5050"]],
        "models": ["1234"],
        "udis": [{"gtin": "00884521116460", "lot": "ABC123", "expiry": "2025-06-30"}],
    }


def test_an_invalid_udi_is_not_read():
    assert parsing.parse_code_info("(01)00884521116466(10)ABC").as_dict() == {}


@pytest.mark.parametrize(
    ("text", "nationwide", "worldwide", "states", "countries"),
    [
        ("US Nationwide Distribution", True, False, (), ("US",)),
        (
            "Nationwide Distribution including AR, CA, FL, ID, OK, PA, TX, and UT.",
            True,
            False,
            ("AR", "CA", "FL", "ID", "OK", "PA", "TX", "UT"),
            ("US",),
        ),
        ("Nationwide, Brazil, Canada, and Colombia", True, False, (), ("US", "BR", "CA", "CO")),
        ("Nationwide and Internationally", True, True, (), ("US",)),
        ("Nationwide and UK", True, False, (), ("US", "GB")),
        ("TX and IA", False, False, ("IA", "TX"), ("US",)),
        (
            "Worldwide: US including New York and Georgia; Germany, Japan, South Korea",
            False,
            True,
            ("GA", "NY"),
            ("US", "DE", "JP", "KR"),
        ),
        ("NATIONWIDE DISTRIBUTION IN CA AND OR", True, False, ("CA",), ("US",)),
        ("Canada only", False, False, (), ("CA",)),
    ],
)
def test_distribution(text, nationwide, worldwide, states, countries):
    assert parsing.parse_distribution(text) == parsing.Distribution(
        nationwide, worldwide, states, countries
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [("Class II", 2), ("Class I", 1), ("III", 3), ("2", 2), ("", None), ("N", None)],
)
def test_class(text, value):
    assert parsing.parse_class(text) == value


def test_firm_key_drops_punctuation_and_legal_forms():
    assert parsing.firm_key("Biosense Webster, Inc.") == "biosense webster"


def test_recall_number_in_a_weekly_report_description():
    assert (
        parsing.recall_number_in("… Biological Indicator, P/N: 14324. Recall # Z-1773-2012")
        == "Z-1773-2012"
    )


def _real_texts() -> dict[str, list[str]]:
    """Every date, quantity, class and firm text of the real samples (the weekly report, the
    CSV extract, the documentation example), in file order."""
    import csv

    from tests.intelligence.samples import RECALL_CSV

    weekly = _weekly_devices()
    with RECALL_CSV.open(encoding="utf-8") as handle:
        extract = list(csv.DictReader(handle))
    example = recall_example()
    return {
        "dates": [
            *(r.get("report-date", "") for r in weekly),
            *(
                (parsing.split_old_firm(r.get("recalling-firm", "")) or {}).get("initiated", "")
                for r in weekly
            ),
            *(example.get(k, "") for k in ("event_date_initiated", "event_date_terminated")),
            "20230231",
            "",
        ],
        "quantities": [r.get("product-quantity", "") for r in weekly]
        + [r["product_quantity"] for r in extract],
        "classes": [r["device_class"] for r in extract] + ["Class II", "III", "N", ""],
        "firms": [r.get("recalling-firm", "") for r in weekly]
        + [r["recalling_firm"] for r in extract],
    }


@pytest.mark.parametrize(
    ("parser", "kind"),
    [
        (parsing.parse_fda_date, "dates"),
        (parsing.parse_quantity, "quantities"),
        (parsing.parse_class, "classes"),
        (parsing.firm_key, "firms"),
    ],
)
def test_remembered_answers_are_those_of_reading_the_text(parser, kind):
    """The import remembers the answers for repeated texts (lru_cache): over the real samples,
    read twice, every answer is what the parser itself reads, and an error is not remembered."""
    texts = _real_texts()[kind]
    assert len(texts) > 20
    parser.cache_clear()

    def fresh(text: str):
        try:
            return parser.__wrapped__(text)
        except ValueError:
            return ValueError

    def remembered(text: str):
        try:
            return parser(text)
        except ValueError:
            return ValueError

    expected = [fresh(t) for t in texts]
    assert [remembered(t) for t in texts] == expected
    assert [remembered(t) for t in texts] == expected
    assert parser.cache_info().hits > 0
