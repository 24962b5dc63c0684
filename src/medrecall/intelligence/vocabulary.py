"""FDA's recall root-cause vocabulary (openFDA ``device/recall`` ``root_cause_description``).

The one list of root-cause categories in the product: the public recall history stores FDA's
text as published, and quality's CAPA root causes choose from the same values (quality sits
above this context and imports it), so our CAPAs and the public recalls count alike. The value
is FDA's exact text; the label is shown in the page's language.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy


class FdaRootCause(models.TextChoices):
    """FDA's root causes: the value as FDA publishes it, the label translated."""

    COMPONENT_CHANGE_CONTROL = (
        "Component change control",
        pgettext_lazy("FDA root cause", "Component change control"),
    )
    COMPONENT_DESIGN_SELECTION = (
        "Component design/selection",
        pgettext_lazy("FDA root cause", "Component design/selection"),
    )
    COUNTERFEIT = "Counterfeit", pgettext_lazy("FDA root cause", "Counterfeit")
    DEVICE_DESIGN = "Device Design", pgettext_lazy("FDA root cause", "Device Design")
    EMPLOYEE_ERROR = "Employee error", pgettext_lazy("FDA root cause", "Employee error")
    ENVIRONMENTAL_CONTROL = (
        "Environmental control",
        pgettext_lazy("FDA root cause", "Environmental control"),
    )
    EQUIPMENT_MAINTENANCE = (
        "Equipment maintenance",
        pgettext_lazy("FDA root cause", "Equipment maintenance"),
    )
    ERROR_IN_LABELING = "Error in labeling", pgettext_lazy("FDA root cause", "Error in labeling")
    FINISHED_DEVICE_CHANGE_CONTROL = (
        "Finished device change control",
        pgettext_lazy("FDA root cause", "Finished device change control"),
    )
    INCORRECT_EXPIRATION_DATE = (
        "Incorrect or no expiration date",
        pgettext_lazy("FDA root cause", "Incorrect or no expiration date"),
    )
    LABELING_CHANGE_CONTROL = (
        "Labeling Change Control",
        pgettext_lazy("FDA root cause", "Labeling Change Control"),
    )
    LABELING_DESIGN = "Labeling design", pgettext_lazy("FDA root cause", "Labeling design")
    LABELING_FALSE_MISLEADING = (
        "Labeling False and Misleading",
        pgettext_lazy("FDA root cause", "Labeling False and Misleading"),
    )
    LABELING_MIX_UPS = "Labeling mix-ups", pgettext_lazy("FDA root cause", "Labeling mix-ups")
    MATERIAL_CONTAMINATION = (
        "Material/Component Contamination",
        pgettext_lazy("FDA root cause", "Material/Component Contamination"),
    )
    MIXED_UP_MATERIALS = (
        "Mixed-up of materials/components",
        pgettext_lazy("FDA root cause", "Mixed-up of materials/components"),
    )
    NO_MARKETING_APPLICATION = (
        "No Marketing Application",
        pgettext_lazy("FDA root cause", "No Marketing Application"),
    )
    NONCONFORMING_MATERIAL = (
        "Nonconforming Material/Component",
        pgettext_lazy("FDA root cause", "Nonconforming Material/Component"),
    )
    OTHER = "Other", pgettext_lazy("FDA root cause", "Other")
    PACKAGE_DESIGN_SELECTION = (
        "Package design/selection",
        pgettext_lazy("FDA root cause", "Package design/selection"),
    )
    PACKAGING = "Packaging", pgettext_lazy("FDA root cause", "Packaging")
    PACKAGING_CHANGE_CONTROL = (
        "Packaging change control",
        pgettext_lazy("FDA root cause", "Packaging change control"),
    )
    PACKAGING_DESIGN_SELECTION = (
        "Packaging design/selection",
        pgettext_lazy("FDA root cause", "Packaging design/selection"),
    )
    PACKAGING_PROCESS_CONTROL = (
        "Packaging process control",
        pgettext_lazy("FDA root cause", "Packaging process control"),
    )
    PENDING = "Pending", pgettext_lazy("FDA root cause", "Pending")
    PROCESS_CHANGE_CONTROL = (
        "Process change control",
        pgettext_lazy("FDA root cause", "Process change control"),
    )
    PROCESS_CONTROL = "Process control", pgettext_lazy("FDA root cause", "Process control")
    PROCESS_DESIGN = "Process design", pgettext_lazy("FDA root cause", "Process design")
    RADIATION_CONTROL = (
        "Radiation Control for Health and Safety Act",
        pgettext_lazy("FDA root cause", "Radiation Control for Health and Safety Act"),
    )
    RELEASE_BEFORE_TEST_RESULTS = (
        "Release of Material/Component prior to receiving test results",
        pgettext_lazy(
            "FDA root cause", "Release of Material/Component prior to receiving test results"
        ),
    )
    REPROCESSING_CONTROLS = (
        "Reprocessing Controls",
        pgettext_lazy("FDA root cause", "Reprocessing Controls"),
    )
    SOFTWARE_CHANGE_CONTROL = (
        "Software change control",
        pgettext_lazy("FDA root cause", "Software change control"),
    )
    SOFTWARE_DESIGN = "Software design", pgettext_lazy("FDA root cause", "Software design")
    SOFTWARE_DESIGN_CHANGE = (
        "Software Design Change",
        pgettext_lazy("FDA root cause", "Software Design Change"),
    )
    SOFTWARE_MANUFACTURING_PROCESS = (
        "Software design (manufacturing process)",
        pgettext_lazy("FDA root cause", "Software design (manufacturing process)"),
    )
    SOFTWARE_DEPLOYMENT = (
        "Software Manufacturing/Software Deployment",
        pgettext_lazy("FDA root cause", "Software Manufacturing/Software Deployment"),
    )
    SOFTWARE_USE_ENVIRONMENT = (
        "Software in the Use Environment",
        pgettext_lazy("FDA root cause", "Software in the Use Environment"),
    )
    STORAGE = "Storage", pgettext_lazy("FDA root cause", "Storage")
    UNDER_INVESTIGATION = (
        "Under Investigation by firm",
        pgettext_lazy("FDA root cause", "Under Investigation by firm"),
    )
    UNKNOWN = (
        "Unknown/Undetermined by firm",
        pgettext_lazy("FDA root cause", "Unknown/Undetermined by firm"),
    )
    USE_ERROR = "Use error", pgettext_lazy("FDA root cause", "Use error")
    VENDOR_CHANGE_CONTROL = (
        "Vendor change control",
        pgettext_lazy("FDA root cause", "Vendor change control"),
    )
