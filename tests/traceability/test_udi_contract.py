"""UDI parsing: GS1 and HIBC vectors, errors that say where, and the CLI/API/web contract."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.core.management import call_command

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.traceability.udi import hibc_check_character, parse_udi


@pytest.mark.parametrize(
    ("barcode", "expected"),
    [
        pytest.param(
            "0109501101530003172407311012AB34",
            ("GS1", "09501101530003", "12AB34", None, "2024-07-31", None),
            id="gs1-raw",
        ),
        pytest.param(
            "(01)09501101530003(17)240700(10)AB12(21)S1",
            ("GS1", "09501101530003", "AB12", "S1", "2024-07-31", None),
            id="gs1-parentheses-day-00",
        ),
        pytest.param(
            "]d20109501101530003\x1d10AB\x1d2199",
            ("GS1", "09501101530003", "AB", "99", None, None),
            id="gs1-symbology-and-gs",
        ),
        pytest.param(
            "0109501101530003<GS>10AB<GS>2199",
            ("GS1", "09501101530003", "AB", "99", None, None),
            id="gs1-wedge-gs",
        ),
        pytest.param(
            "https://id.gs1.org/01/09501101530003/10/AB12/21/XYZ?17=240731",
            ("GS1", "09501101530003", "AB12", "XYZ", "2024-07-31", None),
            id="digital-link",
        ),
        pytest.param(
            "(01)09501101530003(11)250101(17)270228",
            ("GS1", "09501101530003", None, None, "2027-02-28", "2025-01-01"),
            id="gs1-production-date",
        ),
        pytest.param(
            "(21)S1(10)L1(01)09501101530003",
            ("GS1", "09501101530003", "L1", "S1", None, None),
            id="gs1-any-order",
        ),
        # Public vectors of the python "hibc" package (README and tests).
        pytest.param(
            "+A99912345/$$52001510X3/16D20111212/S77DE1G45-",
            ("HIBC", "A99912345", "10X3", "77DE1G45", "2020-01-15", "2011-12-12"),
            id="hibc-concatenated",
        ),
        pytest.param(
            "+E20831269/$$8020423286539+",
            ("HIBC", "E20831269", "286539", None, "2023-04-30", None),
            id="hibc-quantity-mmyy",
        ),
        pytest.param("+$$3260331L12345/", None, id="hibc-secondary-link"),
    ],
)
def test_valid_barcodes(barcode: str, expected: tuple[str, ...] | None) -> None:
    if (
        expected is None
    ):  # build the check character for a secondary-only code with link character "/"
        barcode = barcode + hibc_check_character(barcode)
        expected = ("HIBC", None, "L12345", None, "2026-03-31", None)
    parsed = parse_udi(barcode)
    assert parsed.error is None
    body = parsed.as_dict()
    assert (
        body["symbology"],
        body["gtin"],
        body["lot"],
        body["serial"],
        body["expiry"],
        body["production_date"],
    ) == expected
    assert body["valid"] is True


@pytest.mark.parametrize(
    ("barcode", "message"),
    [
        pytest.param(
            "(01)12345678901232(10)X",
            "AI 01: The GTIN 12345678901232 has check digit 2; it should be 1.",
            id="check-digit",
        ),
        pytest.param(
            "(01)09501101530003(10)ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "AI 10: the lot has 26 characters; at most 20 are allowed.",
            id="lot-too-long",
        ),
        pytest.param(
            "(01)09501101530003(17)241399", "AI 17: 241399 is not a date (YYMMDD).", id="bad-date"
        ),
        pytest.param(
            "+A99912345/$$52001510X3/16D20111212/S77DE1G45A",
            "HIBC: check character A is wrong; it should be -.",
            id="hibc-check",
        ),
        pytest.param("", "The barcode is empty.", id="empty"),
        pytest.param(
            "条码",
            "The barcode contains the character '条' at position 1; barcodes hold ASCII characters only.",
            id="not-ascii",
        ),
        pytest.param(
            "hello world",
            "hello world is not a GS1 element string, a GS1 Digital Link or an HIBC code.",
            id="garbage",
        ),
    ],
)
def test_invalid_barcodes_say_what_is_wrong(barcode: str, message: str) -> None:
    parsed = parse_udi(barcode)
    assert (parsed.valid, parsed.error, parsed.gtin) == (False, message, None)


def test_hibc_check_character_table() -> None:
    assert hibc_check_character("+E20831339/$$8020223283831") == "T"
    assert hibc_check_character("+A99912345/$$52001510X3/16D20111212/S77DE1G45") == "-"


@pytest.mark.django_db
def test_cli_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.factories import DeviceModelFactory, SerialFactory

    serial = SerialFactory(
        serial="S1",
        lot__number="AB12",
        lot__device_model=DeviceModelFactory(udi_di="09501101530003", tracking="serial"),
    )
    call_command("udi", "parse", "(01)09501101530003(17)240700(10)AB12(21)S1", "--json")
    body = json.loads(capsys.readouterr().out)
    assert {
        k: body[k] for k in ("gtin", "lot", "serial", "expiry", "production_date", "valid", "error")
    } == {
        "gtin": "09501101530003",
        "lot": "AB12",
        "serial": "S1",
        "expiry": "2024-07-31",
        "production_date": None,
        "valid": True,
        "error": None,
    }
    assert body["match"]["serial_id"] == serial.pk
    with pytest.raises(SystemExit) as exited:
        call_command("udi", "parse", "(01)12345678901232", "--json")
    assert exited.value.code == 1
    assert json.loads(capsys.readouterr().out)["valid"] is False


@pytest.mark.django_db
def test_api_and_scan_page(
    api_as: Callable[[User | None], object], make_user: Callable[..., User]
) -> None:
    from django.test import Client

    from tests.conftest import PASSWORD

    user = make_user(Role.WAREHOUSE)
    client = api_as(user)
    response = client.post(
        "/api/udi/parse/", {"barcode": "0109501101530003172407311012AB34"}, format="json"
    )  # type: ignore[attr-defined]
    assert (
        response.status_code,
        response.json()["lot"],
        response.json()["match"]["known_lot"],
    ) == (200, "12AB34", False)
    web = Client()
    web.login(username=user.username, password=PASSWORD)
    page = web.post("/scan/", {"barcode": "(01)12345678901232"}).content.decode()
    assert "check digit 2; it should be 1" in page


@pytest.mark.django_db
def test_hibc_supplemental_data_resolves_to_our_records(
    capsys: pytest.CaptureFixture[str],
    api_as: Callable[[User | None], object],
    make_user: Callable[..., User],
) -> None:
    """HIBC secondary data with supplemental fields, behind a Data Matrix symbology identifier,
    reaches our device model, lot and serial through the CLI, the API and the scan page."""
    from django.test import Client

    from tests.conftest import PASSWORD
    from tests.factories import DeviceModelFactory, SerialFactory

    serial = SerialFactory(
        serial="77",
        lot__number="LOT9",
        lot__device_model=DeviceModelFactory(udi_di="A123BJC5D6E71", tracking="serial"),
    )
    body = "+A123BJC5D6E71/$$9000103270131LOT9/16D20250115/S77"
    barcode = "]d1" + body + hibc_check_character(body)
    call_command("udi", "parse", barcode, "--json")
    printed = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in printed.items() if k != "match"} == {
        "symbology": "HIBC",
        "gtin": "A123BJC5D6E71",
        "lot": "LOT9",
        "serial": "77",
        "expiry": "2027-01-31",
        "production_date": "2025-01-15",
        "valid": True,
        "error": None,
        "quantity": 10,
    }
    assert (printed["match"]["lot_id"], printed["match"]["serial_id"]) == (serial.lot_id, serial.pk)

    user = make_user(Role.WAREHOUSE)
    response = api_as(user).post("/api/udi/parse/", {"barcode": barcode}, format="json")  # type: ignore[attr-defined]
    assert (
        response.status_code,
        response.json()["quantity"],
        response.json()["match"]["serial_id"],
    ) == (200, 10, serial.pk)
    web = Client()
    web.login(username=user.username, password=PASSWORD)
    page = web.post("/scan/", {"barcode": barcode}).content.decode()
    assert '<dd id="scan-quantity">10</dd>' in page
    assert '<dd id="scan-serial">77</dd>' in page


@pytest.mark.django_db
def test_hibc_link_mismatch_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    secondary = "+$$3270131LOT9H"
    with pytest.raises(SystemExit) as exited:
        call_command(
            "udi",
            "parse",
            "+A123BJC5D6E71G\t" + secondary + hibc_check_character(secondary),
            "--json",
        )
    printed = json.loads(capsys.readouterr().out)
    assert (exited.value.code, printed["valid"], printed["match"], printed["error"]) == (
        1,
        False,
        None,
        "HIBC: the secondary data has link character H, but the primary data's check character "
        "is G; they are not from the same label.",
    )
