import pytest

from medrecall.core.regions import country_code, country_name, subdivision_code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("CN", "CN"),
        ("chn", "CN"),
        ("中国", "CN"),
        ("China", "CN"),
        ("USA", "US"),
        ("United States", "US"),
        ("Deutschland", None),
        ("", None),
    ],
)
def test_country_code(text: str, code: str | None) -> None:
    assert country_code(text) == code


@pytest.mark.parametrize(
    ("country", "text", "code"),
    [
        ("CN", "广东省", "CN-GD"),
        ("CN", "广东", "CN-GD"),
        ("CN", "Guangdong", "CN-GD"),
        ("CN", "CN-GD", "CN-GD"),
        ("CN", "上海市", "CN-SH"),
        ("CN", "宁夏", "CN-NX"),
        ("US", "CA", "US-CA"),
        ("US", "California", "US-CA"),
        ("CN", "Atlantis", ""),
        ("", "广东省", ""),
    ],
)
def test_subdivision_code(country: str, text: str, code: str) -> None:
    assert subdivision_code(country, text) == code


def test_country_name_in_both_languages() -> None:
    assert country_name("CN", "zh-hans") == "中国"
    assert country_name("DE", "en") == "Germany"


@pytest.mark.parametrize(
    ("code", "language", "name"),
    [
        ("CN-SC", "en", "Sichuan"),
        ("CN-SC", "zh-hans", "四川省"),
        ("SG", "en", "Singapore"),
        ("SG", "zh-hans", "新加坡"),
        ("US-CA", "en", "California"),
        ("", "en", ""),
    ],
)
def test_a_region_code_is_named_in_the_readers_language(
    code: str, language: str, name: str
) -> None:
    from medrecall.core.regions import region_name

    assert region_name(code, language) == name
