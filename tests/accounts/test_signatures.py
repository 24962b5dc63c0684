"""Electronic signatures (R6, 21 CFR Part 11): two components, refusals traced, lock-out,
content binding and the printed manifest. A party stands in for any signed record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone, translation

from medrecall.accounts import signatures
from medrecall.accounts.models import Signature, SignatureMeaning, User
from medrecall.accounts.selectors import signatures_for
from medrecall.accounts.signatures import (
    SESSION_KEY,
    SignatureLocked,
    SignatureRefused,
    signature_apply,
    signature_manifest,
    signature_status,
    signing_content,
)
from medrecall.audit import services as audit
from medrecall.audit.models import AuditEntry
from medrecall.core.errors import ValidationFailed
from medrecall.parties.models import Location, Party
from tests.conftest import PASSWORD
from tests.factories import LocationFactory, PartyFactory

pytestmark = pytest.mark.django_db

SIGNED_FIELDS = ("code", "name", "party_type", "latitude", "is_active")
WRONG = "The user ID or password is not correct. The record was not signed."
BOTH_NEEDED = "Enter your user ID and your password: the first signature of a session needs both."


class Clock:
    """``timezone.now`` under the test's control: audit entries, signatures and sessions all
    see the same time, so expiry and lock-out are tested without sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(datetime(2025, 3, 1, 2, 15, 30, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def session() -> SessionStore:
    return SessionStore()


@pytest.fixture
def party() -> Party:
    return cast(Party, PartyFactory(code="P-SIGN", name="华南医疗器械有限公司"))


@pytest.fixture
def sign(manager: User, party: Party, session: SessionStore) -> Callable[..., Signature]:
    """``sign(password=..., username=...)``: the manager approves the party in this session."""

    def apply(**overrides: Any) -> Signature:
        arguments: dict[str, Any] = {
            "actor": manager,
            "target": party,
            "content": signing_content(party, SIGNED_FIELDS),
            "meaning": SignatureMeaning.APPROVED,
            "password": PASSWORD,
            "session": session,
            "step": "qa_head",
        }
        return signature_apply(**{**arguments, **overrides})

    return apply


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))


def test_first_signing_with_user_id_and_password_signs(
    clock: Clock, manager: User, party: Party, session: SessionStore, sign: Callable[..., Signature]
) -> None:
    signature = sign(username=manager.username, reason="Master data checked")

    content = signing_content(party, SIGNED_FIELDS)
    assert Signature.objects.get() == signature
    assert (
        signature.signer,
        signature.signer_name,
        signature.signed_at,
        signature.meaning,
        signature.step,
    ) == (manager, manager.username, clock.now, "approved", "qa_head")
    assert (signature.target_type, signature.target_id, signature.reason) == (
        "parties.party",
        str(party.pk),
        "Master data checked",
    )
    assert signature.content == content
    assert signature.content_hash == signatures.content_digest(content)
    assert len(signature.content_hash) == 64
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.target_type, entry.target_id, entry.reason) == (
        "accounts.signature_applied",
        manager,
        "parties.party",
        str(party.pk),
        "Master data checked",
    )
    assert entry.changes == {
        "meaning": "approved",
        "step": "qa_head",
        "components": "user_id+password",
        "signature": signature.pk,
        "content_hash": signature.content_hash,
    }
    assert session[SESSION_KEY] == {"user": manager.pk, "at": clock.now.isoformat()}
    session.save()  # the stamp survives the JSON session serializer


def test_first_signing_with_the_password_only_asks_for_both(sign: Callable[..., Signature]) -> None:
    with pytest.raises(SignatureRefused) as refused:
        sign()

    assert (refused.value.message, refused.value.code, refused.value.where) == (
        BOTH_NEEDED,
        "signature_credentials_required",
        "username",
    )
    assert Signature.objects.count() == 0
    assert actions() == []


def test_later_signing_in_the_same_session_needs_the_password_only(
    clock: Clock, manager: User, session: SessionStore, sign: Callable[..., Signature]
) -> None:
    first = sign(username=manager.username)
    clock.advance(minutes=29)

    second = sign(meaning=SignatureMeaning.RESPONSIBLE)

    assert list(Signature.objects.values_list("pk", "meaning")) == [
        (first.pk, "approved"),
        (second.pk, "responsible"),
    ]
    assert AuditEntry.objects.get(sequence=2).changes["components"] == "password"
    assert (
        session[SESSION_KEY]["at"] == first.signed_at.isoformat()
    )  # password-only does not extend it


def test_after_the_signing_session_expires_both_components_are_needed_again(
    clock: Clock, manager: User, sign: Callable[..., Signature]
) -> None:
    sign(username=manager.username)
    clock.advance(minutes=30)

    with pytest.raises(SignatureRefused) as refused:
        sign()

    assert refused.value.message == BOTH_NEEDED
    assert Signature.objects.count() == 1
    assert sign(username=manager.username).signed_at == clock.now


@pytest.mark.parametrize(
    "session_of",
    [
        pytest.param(lambda manager, other: None, id="no-session"),
        pytest.param(
            lambda manager, other: {
                SESSION_KEY: {"user": other.pk, "at": timezone.now().isoformat()}
            },
            id="another-users-stamp",
        ),
    ],
)
def test_password_only_outside_the_signers_own_signing_session_is_refused(
    clock: Clock,
    manager: User,
    make_user: Callable[..., User],
    sign: Callable[..., Signature],
    session_of: Callable[[User, User], dict[str, Any] | None],
) -> None:
    with pytest.raises(SignatureRefused) as refused:
        sign(session=session_of(manager, make_user()))

    assert refused.value.message == BOTH_NEEDED
    assert (Signature.objects.count(), actions()) == (0, [])


@pytest.mark.parametrize(
    ("credentials", "problem"),
    [
        pytest.param({"password": "not-the-password"}, "password", id="wrong-password"),
        pytest.param({"username": "someone-else"}, "user_id", id="wrong-user-id"),
    ],
)
def test_wrong_credentials_are_refused_and_only_the_attempt_is_logged(
    clock: Clock,
    manager: User,
    party: Party,
    session: SessionStore,
    sign: Callable[..., Signature],
    credentials: dict[str, str],
    problem: str,
) -> None:
    with pytest.raises(SignatureRefused) as refused:
        sign(**{"username": manager.username, **credentials})

    assert (refused.value.message, refused.value.code, refused.value.where) == (
        WRONG,
        "signature_refused",
        "password",
    )
    assert not isinstance(refused.value, SignatureLocked)
    assert Signature.objects.count() == 0
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.target_type, entry.target_id) == (
        "accounts.signature_refused",
        manager,
        "parties.party",
        str(party.pk),
    )
    assert entry.changes == {
        "meaning": "approved",
        "step": "qa_head",
        "components": "user_id+password",
        "problem": problem,
    }
    assert SESSION_KEY not in session


def test_a_refusal_ends_the_signing_session(manager: User, sign: Callable[..., Signature]) -> None:
    sign(username=manager.username)
    with pytest.raises(SignatureRefused):
        sign(password="not-the-password")

    with pytest.raises(SignatureRefused) as refused:
        sign()

    assert refused.value.message == BOTH_NEEDED
    assert actions() == ["accounts.signature_applied", "accounts.signature_refused"]


def test_an_empty_password_is_not_an_attempt(manager: User, sign: Callable[..., Signature]) -> None:
    with pytest.raises(SignatureRefused) as refused:
        sign(username=manager.username, password="")

    assert (refused.value.message, refused.value.code) == (
        "Enter your password to sign.",
        "signature_credentials_required",
    )
    assert (Signature.objects.count(), actions()) == (0, [])


def test_three_wrong_attempts_lock_signing_for_15_minutes(
    clock: Clock, manager: User, sign: Callable[..., Signature]
) -> None:
    for _attempt in range(3):
        with pytest.raises(SignatureRefused):
            sign(username=manager.username, password="guess")
        clock.advance(minutes=4)

    with pytest.raises(SignatureLocked) as locked:
        sign(username=manager.username)  # the right password does not help during the lock

    assert (locked.value.message, locked.value.code, locked.value.status) == (
        "Signing is locked after 3 wrong attempts. Try again in 11 minutes.",
        "signature_locked",
        429,
    )
    assert Signature.objects.count() == 0
    assert actions() == ["accounts.signature_refused"] * 3 + ["accounts.signature_locked"]
    locked_entry = AuditEntry.objects.get(sequence=4)
    assert locked_entry.changes["locked_until"] == (clock.now + timedelta(minutes=11)).isoformat()

    clock.advance(minutes=11)
    assert sign(username=manager.username).signed_at == clock.now


@pytest.mark.parametrize(
    ("outcomes", "locked"),
    [
        pytest.param([("fail", 0), ("fail", 1), ("fail", 1)], True, id="three-in-a-row"),
        pytest.param(
            [("fail", 0), ("fail", 1), ("sign", 1), ("fail", 1)], False, id="success-resets"
        ),
        pytest.param([("fail", 0), ("fail", 10), ("fail", 6)], False, id="spread-over-16-minutes"),
        pytest.param(
            [("fail", 0), ("fail", 1), ("fail", 1), ("wait", 16)], False, id="lock-ran-out"
        ),
    ],
)
def test_lock_out_counts_consecutive_failures_within_15_minutes(
    clock: Clock,
    manager: User,
    sign: Callable[..., Signature],
    outcomes: list[tuple[str, int]],
    locked: bool,
) -> None:
    for outcome, minutes_later in outcomes:
        clock.advance(minutes=minutes_later)
        if outcome == "fail":
            with pytest.raises(SignatureRefused):
                sign(username=manager.username, password="guess")
        elif outcome == "sign":
            sign(username=manager.username)

    if locked:
        with pytest.raises(SignatureLocked):
            sign(username=manager.username)
    else:
        assert sign(username=manager.username).signer == manager


def test_lock_out_is_per_user(
    manager: User, make_user: Callable[..., User], party: Party, sign: Callable[..., Signature]
) -> None:
    for _attempt in range(3):
        with pytest.raises(SignatureRefused):
            sign(username=manager.username, password="guess")
    colleague = make_user()

    signature = sign(actor=colleague, username=colleague.username, session={})

    assert signature.signer == colleague


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param({}, "valid", id="unchanged"),
        pytest.param({"notes": "called the distributor"}, "valid", id="unsigned-field-changed"),
        pytest.param({"latitude": Decimal("23.129101")}, "content_changed", id="moved"),
        pytest.param({"name": "华南医疗器械股份有限公司"}, "content_changed", id="name-changed"),
        pytest.param({"is_active": False}, "content_changed", id="deactivated"),
    ],
)
def test_status_shows_whether_the_record_still_says_what_was_signed(
    manager: User,
    party: Party,
    sign: Callable[..., Signature],
    change: dict[str, Any],
    expected: str,
) -> None:
    signature = sign(username=manager.username)
    if change:
        Party.objects.filter(pk=party.pk).update(**change)
    party.refresh_from_db()

    assert signature_status(signature, signing_content(party, SIGNED_FIELDS)) == expected


def test_signing_content_is_json_safe_and_names_the_record() -> None:
    location = cast(Location, LocationFactory(party__latitude=Decimal("23.1")))

    content = signing_content(location.party, ["code", "latitude", "created_at"])
    assert content == {
        "model": "parties.party",
        "pk": location.party.pk,
        "fields": {
            "code": location.party.code,
            "latitude": "23.100000",
            "created_at": location.party.created_at.astimezone(UTC).isoformat(),
        },
    }
    assert signing_content(location, ["party"])["fields"] == {"party": location.party.pk}
    assert signatures.canonical_json({"b": date(2025, 3, 1), "a": [Decimal("1.50"), "召回"]}) == (
        '{"a":["1.50","召回"],"b":"2025-03-01"}'
    )
    with pytest.raises(ValueError, match="is not a field of the record itself"):
        signing_content(location.party, ["locations"])


def test_content_of_another_record_cannot_be_signed(
    manager: User, party: Party, sign: Callable[..., Signature]
) -> None:
    other = cast(Party, PartyFactory())

    with pytest.raises(ValueError, match=rf"does not name parties\.party {party.pk}\."):
        sign(username=manager.username, content=signing_content(other, SIGNED_FIELDS))
    assert (Signature.objects.count(), actions()) == (0, [])


def test_a_contexts_own_content_without_record_names_can_be_signed(
    manager: User, party: Party, sign: Callable[..., Signature]
) -> None:
    decision = {"recall": "RC-2025-001", "depth": "user", "decided_on": date(2025, 3, 1)}

    signature = sign(username=manager.username, content=decision)

    assert signature.content == {
        "recall": "RC-2025-001",
        "depth": "user",
        "decided_on": "2025-03-01",
    }
    assert signature_status(signature, decision) == "valid"
    assert signature_status(signature, {**decision, "depth": "retail"}) == "content_changed"
    assert list(signatures_for(party)) == [signature]


def test_an_unknown_meaning_is_refused(manager: User, sign: Callable[..., Signature]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        sign(username=manager.username, meaning="witnessed")

    assert (refused.value.message, refused.value.where) == (
        "“witnessed” is not a meaning of a signature.",
        "meaning",
    )
    assert (Signature.objects.count(), actions()) == (0, [])


def test_manifest_prints_name_time_with_zone_and_meaning(
    clock: Clock, manager: User, sign: Callable[..., Signature]
) -> None:
    manager.first_name, manager.last_name = "Li", "Wei"
    manager.save(update_fields=["first_name", "last_name"])
    signature = sign(username=manager.username)

    manifest = signature_manifest(signature)

    assert manifest == {
        "signer_name": "Li Wei",
        "signed_at": "2025-03-01T10:15:30+08:00",
        "signed_at_utc": "2025-03-01T02:15:30+00:00",
        "time_zone": "Asia/Shanghai",
        "meaning": "Approved",
        "meaning_code": "approved",
        "step": "qa_head",
        "reason": "",
        "target_type": "parties.party",
        "target_id": signature.target_id,
        "content_hash": signature.content_hash,
        "statement": "Signed by Li Wei on 2025-03-01T10:15:30+08:00 (2025-03-01T02:15:30+00:00). Meaning: Approved.",
    }


def test_manifest_meaning_follows_the_active_language(
    manager: User, sign: Callable[..., Signature]
) -> None:
    signature = sign(username=manager.username)

    with translation.override("zh-hans"):
        manifest = signature_manifest(signature)

    assert manifest["meaning"] == "批准"
    assert manifest["statement"] == (
        f"由 {manifest['signer_name']} 于 {manifest['signed_at']}（{manifest['signed_at_utc']}）签名。签名含义：批准。"
    )
    assert manifest["signed_at"].endswith("+08:00")


def test_the_printed_name_is_kept_when_the_user_is_renamed(
    manager: User, sign: Callable[..., Signature]
) -> None:
    manager.first_name, manager.last_name = "Li", "Wei"
    manager.save(update_fields=["first_name", "last_name"])
    signature = sign(username=manager.username)

    manager.last_name = "Wang"
    manager.save(update_fields=["last_name"])

    assert signature_manifest(Signature.objects.get(pk=signature.pk))["signer_name"] == "Li Wei"


def test_signatures_for_lists_one_records_signatures_oldest_first(
    clock: Clock, manager: User, party: Party, sign: Callable[..., Signature]
) -> None:
    first = sign(username=manager.username, meaning=SignatureMeaning.AUTHORED)
    clock.advance(minutes=1)
    second = sign(meaning=SignatureMeaning.APPROVED)
    other = cast(Party, PartyFactory())
    sign(target=other, content=signing_content(other, SIGNED_FIELDS))

    assert list(signatures_for(party)) == [first, second]


def test_the_audit_chain_verifies_after_signing_and_refusals(
    manager: User, sign: Callable[..., Signature]
) -> None:
    sign(username=manager.username)
    with pytest.raises(SignatureRefused):
        sign(password="guess")
    sign(username=manager.username, meaning=SignatureMeaning.REVIEWED)

    assert actions() == [
        "accounts.signature_applied",
        "accounts.signature_refused",
        "accounts.signature_applied",
    ]
    assert audit.verify_chain() is None
