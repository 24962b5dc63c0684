"""Working-day calendar endpoints: entries (list, add or change, delete), years with their
coverage (and marking one entered), and the CSV import. Reading is for staff; changing for
administrators (``core.change_workingdayentry``)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedModelSerializer, BoundedSerializer, query_int
from medrecall.core import calendars
from medrecall.core.models import DayKind, WorkingDayCalendar, WorkingDayEntry
from medrecall.recalls import calendars as calendar_services

YEARS = (1900, 2200)  # the years a working-day calendar may cover


def _reader(request: Request) -> User:
    return calendar_services.calendar_viewer(viewer_of(request))  # type: ignore[no-any-return]


def _editor(request: Request) -> User:
    return calendar_services.calendar_viewer(viewer_of(request), change=True)  # type: ignore[no-any-return]


class EntrySerializer(BoundedModelSerializer[WorkingDayEntry]):
    entered_by = serializers.CharField(source="entered_by.username", read_only=True, default="")

    class Meta:
        model = WorkingDayEntry
        fields = ["calendar", "date", "kind", "name", "entered_by", "updated_at"]
        read_only_fields = fields


class EntryInputSerializer(BoundedSerializer):
    calendar = serializers.ChoiceField(choices=WorkingDayCalendar.choices, default="CN")
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=DayKind.choices)
    name = serializers.CharField(max_length=100)


class YearSerializer(BoundedSerializer):
    calendar = serializers.CharField()
    year = serializers.IntegerField()
    covered = serializers.BooleanField()
    source = serializers.ChoiceField(choices=["package", "entered", "not_covered"])  # type: ignore[assignment]
    package = serializers.BooleanField()
    entered = serializers.BooleanField()
    entries = serializers.IntegerField()
    entered_by = serializers.CharField()
    entered_at = serializers.DateTimeField(allow_null=True)


class YearInputSerializer(BoundedSerializer):
    calendar = serializers.ChoiceField(choices=WorkingDayCalendar.choices, default="CN")
    year = serializers.IntegerField(min_value=YEARS[0], max_value=YEARS[1])
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ImportInputSerializer(BoundedSerializer):
    file = serializers.FileField()


class ImportResultSerializer(BoundedSerializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class _CalendarView(APIView):
    """Signed-in users only; each method then asks for reading (``_reader``: staff) or
    changing (``_editor``: ``core.change_workingdayentry``)."""

    permission_classes = [IsAuthenticated]


class CalendarEntriesView(_CalendarView):
    """The entries of the company's working-day calendars; POST adds or changes one day."""

    @extend_schema(
        tags=["calendar"],
        responses=EntrySerializer(many=True),
        parameters=[
            OpenApiParameter("calendar", str, enum=list(calendars.CALENDARS)),
            OpenApiParameter("year", int, description="1900 to 2200"),
        ],
    )
    def get(self, request: Request) -> Response:
        _reader(request)
        entries = calendars.entries_list(
            calendar=request.query_params.get("calendar") or None,
            year=query_int(request, "year", YEARS),
        )
        return Response(EntrySerializer(entries, many=True).data)

    @extend_schema(
        tags=["calendar"], request=EntryInputSerializer, responses={201: EntrySerializer}
    )
    def post(self, request: Request) -> Response:
        actor = _editor(request)
        payload = EntryInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        entry = calendar_services.calendar_entry_set(
            calendar=data["calendar"],
            day=data["date"],
            kind=data["kind"],
            name=data["name"],
            actor=actor,
        )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class CalendarEntryView(_CalendarView):
    """One day's entry: DELETE removes it (the package's data applies again)."""

    @extend_schema(tags=["calendar"], responses={204: None})
    def delete(self, request: Request, calendar: str, day: str) -> Response:
        actor = _editor(request)
        try:
            parsed = date.fromisoformat(day)
        except ValueError as error:
            raise calendars.CalendarInputInvalid(
                _("%(value)s is not a date in the form YYYY-MM-DD.") % {"value": day}, where="date"
            ) from error
        calendar_services.calendar_entry_delete(calendar=calendar, day=parsed, actor=actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarYearsView(_CalendarView):
    """Coverage per calendar and year (package / entered / not covered); POST marks a year entered."""

    @extend_schema(tags=["calendar"], responses=YearSerializer(many=True))
    def get(self, request: Request) -> Response:
        _reader(request)
        return Response([c.as_dict() for c in calendars.coverage(today=timezone.localdate())])

    @extend_schema(tags=["calendar"], request=YearInputSerializer, responses={201: YearSerializer})
    def post(self, request: Request) -> Response:
        actor = _editor(request)
        payload = YearInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        calendar_services.calendar_year_mark_entered(
            calendar=data["calendar"], year=data["year"], actor=actor, note=data["note"]
        )
        found = next(
            c
            for c in calendars.coverage(today=timezone.localdate(), calendar=data["calendar"])
            if c.year == data["year"]
        )
        return Response(found.as_dict(), status=status.HTTP_201_CREATED)


class CalendarImportView(_CalendarView):
    """A CSV (calendar,date,kind,name): all rows or none, idempotent on (calendar, date)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["calendar"],
        request={"multipart/form-data": ImportInputSerializer},
        responses=ImportResultSerializer,
    )
    def post(self, request: Request) -> Response:
        actor = _editor(request)
        payload = ImportInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        result = calendar_services.calendar_import(
            content=upload.read(), file_name=upload.name or "calendar.csv", actor=actor
        )
        return Response(result.as_dict())
