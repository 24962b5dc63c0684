"""Log-in lock-outs: the locked (user name, address) combinations, and the audited unlock.
Administrators only (``axes.view_accessattempt`` / ``axes.delete_accessattempt``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts import lockout
from medrecall.accounts.selectors import viewer_of


class LockoutSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    ip_address = serializers.CharField()
    failures = serializers.IntegerField(help_text="Failed attempts within the cool-off window.")
    last_failure = serializers.DateTimeField()
    locked_until = serializers.DateTimeField(
        allow_null=True,
        help_text="When the lock ends by itself; null: until an administrator unlocks it.",
    )


class UnlockInputSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    ip_address = serializers.IPAddressField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Unlock from this address only; empty: from all.",
    )
    reason = serializers.CharField(
        max_length=2000, help_text="Why the account is unlocked (audit trail)."
    )


class UnlockResultSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    unlocked = LockoutSerializer(many=True, help_text="The lock-outs that were lifted.")


class LockoutListView(APIView):
    """Every log-in locked now after failed attempts, the most recent first."""

    permission_classes = [IsAuthenticated]
    pagination_class = None

    @extend_schema(tags=["accounts"], responses=LockoutSerializer(many=True))
    def get(self, request: Request) -> Response:
        lockout.lockout_viewer(viewer_of(request))
        return Response([lock.as_dict() for lock in lockout.lockouts_active()])


class LockoutUnlockView(APIView):
    """Unlock a user name (404 when it is not locked); recorded in the audit trail with the reason."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["accounts"], request=UnlockInputSerializer, responses={200: UnlockResultSerializer}
    )
    def post(self, request: Request) -> Response:
        actor = lockout.lockout_viewer(viewer_of(request), unlock=True)
        payload = UnlockInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        lifted = lockout.login_unlock(
            username=data["username"],
            actor=actor,
            reason=data["reason"],
            ip_address=data["ip_address"] or "",
        )
        return Response(
            {"username": data["username"].strip(), "unlocked": [lock.as_dict() for lock in lifted]}
        )
