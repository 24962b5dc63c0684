"""Input shapes for the recall pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from medrecall.catalog.models import DeviceModel
from medrecall.core.bounds import BoundedIntegersMixin

from .models import (
    EDITABLE,
    ActionType,
    Depth,
    HazardEvaluation,
    Initiation,
    RecallCase,
    Regime,
    ScopeRule,
)


class RecallOpenForm(forms.Form):
    title = forms.CharField(label=_("Title (Chinese)"), max_length=255, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=255, required=False)
    products = forms.ModelMultipleChoiceField(
        label=_("Device models"), queryset=DeviceModel.objects.order_by("model_code")
    )
    reason = forms.CharField(
        label=_("Reason for the recall (Chinese)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    reason_en = forms.CharField(
        label=_("Reason for the recall (English)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    regimes = forms.MultipleChoiceField(
        label=_("Regimes"),
        choices=Regime.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    action_type = forms.ChoiceField(label=_("Type of action"), choices=ActionType.choices)
    initiation = forms.ChoiceField(label=_("Initiated"), choices=Initiation.choices)
    depth = forms.ChoiceField(label=_("Depth"), choices=Depth.choices, initial=Depth.USER)


class RecallEditForm(BoundedIntegersMixin, forms.ModelForm[RecallCase]):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason_for_change = forms.CharField(label=_("Reason for the change"), required=False)

    class Meta:
        model = RecallCase
        fields = [*EDITABLE, "team"]
        widgets = {
            f: forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
            for f in ("decision_at", "initiated_at", "completed_at", "aware_at")
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


class HazardForm(BoundedIntegersMixin, forms.ModelForm[HazardEvaluation]):
    # The defect and the possible harm, in both languages: stated with the evaluation, printed
    # in the notices ("Defect", "Possible harm") in the reader's language.
    defect_description = forms.CharField(
        label=_("Defect (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    defect_description_en = forms.CharField(
        label=_("Defect (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hazard_description = forms.CharField(
        label=_("Possible harm (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hazard_description_en = forms.CharField(
        label=_("Possible harm (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, recall: RecallCase | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if recall is not None and not self.is_bound:
            for field in (
                "defect_description",
                "defect_description_en",
                "hazard_description",
                "hazard_description_en",
            ):
                self.initial[field] = getattr(recall, field)

    class Meta:
        model = HazardEvaluation
        fields = [
            "injuries_reported",
            "deaths_reported",
            "populations_at_risk",
            "severity",
            "likelihood",
            "consequences",
        ]
        widgets = {
            "populations_at_risk": forms.Textarea(attrs={"rows": 2}),
            "consequences": forms.Textarea(attrs={"rows": 2}),
        }


class ClassifyForm(forms.Form):
    regime = forms.ChoiceField(label=_("Regime"), choices=Regime.choices)
    recall_class = forms.CharField(label=_("Class / level"), max_length=8)
    reason = forms.CharField(
        label=_("Reason (needed when the class changes or departs from the proposal)"),
        required=False,
    )


class ScopeRuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Rule"), choices=ScopeRule.Kind.choices)
    device_model = forms.ModelChoiceField(
        label=_("Device model"), queryset=DeviceModel.objects.order_by("model_code")
    )
    values = forms.CharField(
        label=_("Lot or serial numbers (comma or line separated)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    range_from = forms.CharField(label=_("From"), required=False)
    range_to = forms.CharField(label=_("To"), required=False)

    def value_list(self) -> list[str]:
        text: str = self.cleaned_data.get("values", "")
        return [v.strip() for v in text.replace("\n", ",").split(",") if v.strip()]
