"""Filing endpoints under ``/api/recalls/{id}/filings/``: the list and generating (one call
each), a filing with its check results, entering sections, check, sign, submit (with the
authority's acknowledgement, multipart), a new version, and the files. Each view calls one
service or selector; QA/RA act (``filings.change_filing``), other staff read, portal users
get 404 as for the recall itself."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.accounts.signatures import signature_manifest
from medrecall.api.bounds import BoundedSerializer
from medrecall.filings import selectors, services
from medrecall.filings.documents import DOCUMENT_TYPES
from medrecall.filings.downloads import FILE_NAMES, served_file
from medrecall.filings.models import Filing, FilingSubmission
from medrecall.recalls import selectors as recall_selectors

from .pagination import PAGE_PARAMETERS, page_of, paginated

CHANGE = "filings.change_filing"


def _filing(request: Request, recall_id: int, pk: int, perm: str = "") -> Filing:
    viewer = viewer_of(request)
    filing = selectors.filing_get_for(viewer=viewer, pk=pk, recall_id=recall_id)
    if perm and not viewer.has_perm(perm):
        raise PermissionDenied
    return filing


def _input(request: Request, shape: type[serializers.Serializer[Any]]) -> dict[str, Any]:
    payload = shape(data=request.data)
    payload.is_valid(raise_exception=True)
    return dict(payload.validated_data)


class FilingSubmissionSerializer(serializers.ModelSerializer[FilingSubmission]):
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)
    acknowledgement = serializers.SerializerMethodField()
    authority_name = serializers.SerializerMethodField()

    class Meta:
        model = FilingSubmission
        fields = [
            "id",
            "authority",
            "authority_name",
            "submitted_at",
            "reference",
            "submitted_by",
            "acknowledgement",
        ]

    def get_authority_name(self, submission: FilingSubmission) -> str:
        """The authority in the reader's language (``authority``: as it was typed)."""
        return selectors.submitted_to_name(submission.filing, submission.authority)

    def get_acknowledgement(self, submission: FilingSubmission) -> str | None:
        if not submission.acknowledgement:
            return None
        filing = submission.filing
        return (
            f"/api/recalls/{filing.recall_id}/filings/{filing.pk}/files/"
            f"acknowledgement-{submission.pk}/"
        )


class FilingSerializer(serializers.ModelSerializer[Filing]):
    title = serializers.SerializerMethodField()
    submissions = serializers.SerializerMethodField()
    authorities_submitted = serializers.SerializerMethodField()
    authorities_addressed = serializers.SerializerMethodField()
    signature = serializers.SerializerMethodField()
    signature_state = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()

    class Meta:
        model = Filing
        fields = [
            "id",
            "doc_type",
            "title",
            "sequence",
            "version",
            "status",
            "change_note",
            "change_note_en",
            "addressees",
            "generated_at",
            "signature",
            "signature_state",
            "authority",
            "submitted_at",
            "reference",
            "submissions",
            "authorities_submitted",
            "authorities_addressed",
            "submitted_to_all_at",
            "deadline_key",
            "deadline_due_at",
            "files",
        ]

    @extend_schema_field(FilingSubmissionSerializer(many=True))
    def get_submissions(self, filing: Filing) -> list[dict[str, Any]]:
        """One per authority submitted to (a filing addressed to several has one each)."""
        found = list(filing.submissions.all())
        for submission in found:
            submission.filing = filing
        return list(FilingSubmissionSerializer(found, many=True).data)

    def get_authorities_submitted(self, filing: Filing) -> int:
        return selectors.submission_progress(filing).done

    def get_authorities_addressed(self, filing: Filing) -> int:
        return selectors.submission_progress(filing).total

    def get_title(self, filing: Filing) -> str:
        return str(DOCUMENT_TYPES.get(filing.doc_type).label)

    def get_signature(self, filing: Filing) -> dict[str, str] | None:
        return signature_manifest(filing.signature) if filing.signature else None

    def get_signature_state(self, filing: Filing) -> str | None:
        return selectors.signature_state(filing)

    def get_files(self, filing: Filing) -> dict[str, str]:
        base = f"/api/recalls/{filing.recall_id}/filings/{filing.pk}/files/"
        return {name: f"{base}{name}/" for name in FILE_NAMES if getattr(filing, name)}


class FilingDetailSerializer(FilingSerializer):
    content = serializers.JSONField(read_only=True)
    entered = serializers.JSONField(read_only=True)
    problems = serializers.SerializerMethodField()
    sections = serializers.SerializerMethodField()
    deadline_note = serializers.SerializerMethodField()

    class Meta(FilingSerializer.Meta):
        fields = [
            *FilingSerializer.Meta.fields,
            "content",
            "entered",
            "problems",
            "sections",
            "deadline_note",
        ]

    def get_deadline_note(self, filing: Filing) -> str:
        """What the submission did to the recall's deadline for the document, in words."""
        return selectors.deadline_note(filing)

    def get_problems(self, filing: Filing) -> list[str]:
        return services.filing_problems(filing)

    def get_sections(self, filing: Filing) -> list[dict[str, Any]]:
        return [
            {"key": s.key, "label": str(s.label), "required": s.required}
            for s in DOCUMENT_TYPES.get(filing.doc_type).sections
        ]


class FilingGenerateSerializer(BoundedSerializer):
    doc_type = serializers.CharField(help_text="e.g. nmpa.recall_plan")


class FilingSectionTextSerializer(BoundedSerializer):
    zh = serializers.CharField(allow_blank=True, required=False, default="")
    en = serializers.CharField(allow_blank=True, required=False, default="")


class FilingChangeNoteSerializer(BoundedSerializer):
    """What changed in a later version: a language left out keeps its note."""

    zh = serializers.CharField(allow_blank=True, required=False)
    en = serializers.CharField(allow_blank=True, required=False)


class FilingEnterSerializer(BoundedSerializer):
    sections = serializers.DictField(child=FilingSectionTextSerializer(), required=False)
    addressees = FilingSectionTextSerializer(many=True, required=False)
    change_note = FilingChangeNoteSerializer(
        required=False, help_text="Version 2 on: what changed, in Chinese and in English."
    )


class FilingSignInSerializer(BoundedSerializer):
    password = serializers.CharField(style={"input_type": "password"})
    username = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed on the first signature of a session.",
    )


class FilingSubmitInSerializer(BoundedSerializer):
    authority = serializers.CharField(allow_blank=True)
    reference = serializers.CharField(allow_blank=True)
    submitted_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    acknowledgement = serializers.FileField(required=False, allow_null=True, default=None)


class FilingReviseSerializer(BoundedSerializer):
    change_note = serializers.CharField(
        allow_blank=True, required=False, default="", help_text="What changed, in Chinese."
    )
    change_note_en = serializers.CharField(
        allow_blank=True, required=False, default="", help_text="What changed, in English."
    )


class FilingListView(APIView):
    """The recall's filings, every version (GET); generate a document (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["filings"],
        operation_id="recalls_filings_list",
        parameters=PAGE_PARAMETERS,
        responses=page_of(FilingSerializer),
    )
    def get(self, request: Request, pk: int) -> Response:
        rows = selectors.filing_list_for(viewer=viewer_of(request), recall_id=pk)
        return paginated(self, request, rows, FilingSerializer)

    @extend_schema(
        tags=["filings"], request=FilingGenerateSerializer, responses={201: FilingDetailSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = viewer_of(request)
        recall = recall_selectors.recall_get_for(viewer=viewer, pk=pk)
        selectors.filing_list_for(viewer=viewer, recall_id=pk)  # a portal user: 404
        if not viewer.has_perm(CHANGE):
            raise PermissionDenied
        body = _input(request, FilingGenerateSerializer)
        filing = services.filing_generate(recall=recall, doc_type=body["doc_type"], actor=viewer)
        return Response(FilingDetailSerializer(filing).data, status=status.HTTP_201_CREATED)


class FilingDetailView(APIView):
    """One filing with its values, sections, check results and signature (GET); enter
    sections or the authorities addressed (PATCH)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["filings"], responses=FilingDetailSerializer)
    def get(self, request: Request, pk: int, filing: int) -> Response:
        return Response(FilingDetailSerializer(_filing(request, pk, filing)).data)

    @extend_schema(
        tags=["filings"], request=FilingEnterSerializer, responses=FilingDetailSerializer
    )
    def patch(self, request: Request, pk: int, filing: int) -> Response:
        found = _filing(request, pk, filing, CHANGE)
        body = _input(request, FilingEnterSerializer)
        changed = services.filing_enter(
            filing=found,
            actor=viewer_of(request),
            sections=body.get("sections"),
            addressees=body.get("addressees"),
            change_note=dict(body["change_note"]) if "change_note" in body else None,
        )
        return Response(FilingDetailSerializer(changed).data)


class FilingCheckView(APIView):
    """Check the required content: 400 ``filing_incomplete`` with every missing item in ``details``."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["filings"], request=None, responses=FilingDetailSerializer)
    def post(self, request: Request, pk: int, filing: int) -> Response:
        found = _filing(request, pk, filing, CHANGE)
        return Response(
            FilingDetailSerializer(
                services.filing_check(filing=found, actor=viewer_of(request))
            ).data
        )


class FilingSignView(APIView):
    """E-sign a checked filing (meaning: authored), re-entering the password (21 CFR 11.200)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["filings"], request=FilingSignInSerializer, responses={201: FilingDetailSerializer}
    )
    def post(self, request: Request, pk: int, filing: int) -> Response:
        found = _filing(request, pk, filing, CHANGE)
        body = _input(request, FilingSignInSerializer)
        signed = services.filing_sign(
            filing=found,
            actor=viewer_of(request),
            password=body["password"],
            username=body["username"] or None,
            session=getattr(request, "session", None),
        )
        return Response(FilingDetailSerializer(signed).data, status=status.HTTP_201_CREATED)


class FilingSubmitView(APIView):
    """Record the submission with the authority's acknowledgement (multipart); the recall's
    deadline for the document is marked done."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["filings"],
        request={"multipart/form-data": FilingSubmitInSerializer},
        responses={201: FilingDetailSerializer},
    )
    def post(self, request: Request, pk: int, filing: int) -> Response:
        found = _filing(request, pk, filing, CHANGE)
        body = _input(request, FilingSubmitInSerializer)
        upload = body["acknowledgement"]
        submitted = services.filing_submit(
            filing=found,
            actor=viewer_of(request),
            authority=body["authority"],
            reference=body["reference"],
            submitted_at=body["submitted_at"],
            acknowledgement=upload,
            acknowledgement_name=getattr(upload, "name", ""),
        )
        return Response(FilingDetailSerializer(submitted).data, status=status.HTTP_201_CREATED)


class FilingReviseView(APIView):
    """A new version of a submitted filing, with what changed."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        tags=["filings"], request=FilingReviseSerializer, responses={201: FilingDetailSerializer}
    )
    def post(self, request: Request, pk: int, filing: int) -> Response:
        found = _filing(request, pk, filing, CHANGE)
        body = _input(request, FilingReviseSerializer)
        new = services.filing_revise(
            filing=found,
            actor=viewer_of(request),
            change_note=body["change_note"],
            change_note_en=body["change_note_en"],
        )
        return Response(FilingDetailSerializer(new).data, status=status.HTTP_201_CREATED)


class FilingFileView(APIView):
    """One of the filing's files: pdf_zh, pdf_en, docx_zh, docx_en, acknowledgement."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["filings"], responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}
    )
    def get(self, request: Request, pk: int, filing: int, name: str) -> FileResponse:
        found = _filing(request, pk, filing)
        served = served_file(found, name)
        if served is None:
            raise Http404
        return served


class FdaZNumberSerializer(BoundedSerializer):
    # Blank only for a recall of one device model: the Z-number is that model's.
    model_code = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")
    z_number = serializers.CharField(max_length=20)


class FdaRecordSerializer(BoundedSerializer):
    """What FDA sent about the recall (21 CFR 7.41: FDA classifies; the Enforcement Report
    gives the event id and a Z-number per product)."""

    fda_class = serializers.CharField(allow_blank=True, required=False, max_length=3)
    fda_event_id = serializers.CharField(allow_blank=True, required=False, max_length=20)
    fda_z_numbers = FdaZNumberSerializer(many=True, required=False)
    fda_classified_on = serializers.DateField(required=False, allow_null=True)
    case_class = serializers.CharField(
        source="recall_class",
        read_only=True,
        help_text="The class the case holds for FDA (FDA's class does not change it).",
    )
    fda_class_kept_reason = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=2000,
        help_text="Why the case keeps its own class where FDA's differs (either language).",
    )
    class_note = serializers.SerializerMethodField(
        help_text="With a recorded reason: the note quoting it (the warning is then empty)."
    )
    class_warning = serializers.SerializerMethodField(
        help_text="Set when FDA's classification differs from the case's class: re-classify "
        "the case or record why. Empty when they agree or FDA has not classified."
    )

    def get_class_warning(self, regime: Any) -> str:
        from medrecall.recalls.fda import class_difference

        return str(class_difference(regime) or "")

    def get_class_note(self, regime: Any) -> str:
        from medrecall.recalls.fda import class_kept_note

        return str(class_kept_note(regime) or "")


class FdaRecordView(APIView):
    """FDA's record of the recall (GET); record or correct it (PUT, QA/RA): an empty value keeps
    the one recorded, a Z-number is set per device model code."""

    permission_classes = [IsAuthenticated]

    def _regime(self, request: Request, pk: int) -> Any:
        from medrecall.recalls.fda import fda_regime

        viewer = viewer_of(request)
        recall = recall_selectors.recall_get_for(viewer=viewer, pk=pk)
        selectors.filing_list_for(viewer=viewer, recall_id=pk)  # a portal user: 404
        return recall, fda_regime(recall)

    @extend_schema(tags=["filings"], responses=FdaRecordSerializer)
    def get(self, request: Request, pk: int) -> Response:
        _recall, regime = self._regime(request, pk)
        if regime is None:  # no FDA regime: nothing recorded
            return Response(
                {
                    "fda_class": "",
                    "fda_event_id": "",
                    "fda_z_numbers": [],
                    "fda_classified_on": None,
                    "case_class": "",
                    "fda_class_kept_reason": "",
                    "class_note": "",
                    "class_warning": "",
                }
            )
        return Response(FdaRecordSerializer(regime).data)

    @extend_schema(tags=["filings"], request=FdaRecordSerializer, responses=FdaRecordSerializer)
    def put(self, request: Request, pk: int) -> Response:
        from medrecall.recalls.fda import fda_record

        recall, _regime = self._regime(request, pk)
        viewer = viewer_of(request)
        if not viewer.has_perm(CHANGE):
            raise PermissionDenied
        body = _input(request, FdaRecordSerializer)
        regime = fda_record(
            recall=recall,
            actor=viewer,
            classification=body.get("fda_class", ""),
            event_id=body.get("fda_event_id", ""),
            z_numbers=[(z["model_code"], z["z_number"]) for z in body.get("fda_z_numbers", [])],
            classified_on=body.get("fda_classified_on"),
            class_kept_reason=body.get("fda_class_kept_reason", ""),
        )
        return Response(FdaRecordSerializer(regime).data)
