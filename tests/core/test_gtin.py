import pytest

from medrecall.core.gtin import gtin_check_digit, gtin_problem, normalise_gtin


@pytest.mark.parametrize(
    ("gtin", "ok"),
    [
        pytest.param("12345678901231", True, id="gtin14-valid"),
        pytest.param("09501101530003", True, id="gtin14-biip"),
        pytest.param("4006381333931", True, id="gtin13-valid"),
        pytest.param("96385074", True, id="gtin8-valid"),
        pytest.param("12345678901232", False, id="gtin14-bad-check"),
        pytest.param("1234567890123", False, id="gtin13-bad-check"),
        pytest.param("12345", False, id="wrong-length"),
        pytest.param("1234567890123A", False, id="letters"),
        pytest.param("", False, id="empty"),
    ],
)
def test_gtin_check_digit_validation(gtin: str, ok: bool) -> None:
    assert (gtin_problem(gtin) is None) is ok


def test_bad_check_digit_message_points_at_the_digit() -> None:
    assert (
        gtin_problem("12345678901232")
        == "The GTIN 12345678901232 has check digit 2; it should be 1."
    )


def test_check_digit_and_padding() -> None:
    assert gtin_check_digit("1234567890123") == 1
    assert normalise_gtin("4006381333931") == "04006381333931"
