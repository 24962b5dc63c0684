"""Proposing a class per regime from the health hazard evaluation.

FDA 21 CFR 7.3(m): Class I — reasonable probability of serious adverse health consequences
or death; Class II — temporary or medically reversible harm, or serious harm is remote;
Class III — not likely to cause harm. NMPA Art. 13 uses the same three steps (一级: serious
harm; 二级: temporary or reversible harm; 三级: harm unlikely). EU MDR has no recall class:
every corrective action in the field is an FSCA.
"""

from __future__ import annotations

from .models import HazardEvaluation, Regime

LIKELY = {
    HazardEvaluation.Likelihood.FREQUENT,
    HazardEvaluation.Likelihood.PROBABLE,
    HazardEvaluation.Likelihood.OCCASIONAL,
}


def proposed_class(*, regime: str, severity: str, likelihood: str, deaths_reported: int = 0) -> str:
    if regime == Regime.EU_MDR:
        return "fsca"
    serious = severity in (HazardEvaluation.Severity.DEATH, HazardEvaluation.Severity.SERIOUS)
    if deaths_reported > 0 or (serious and likelihood in LIKELY):
        return "I"
    if serious or severity == HazardEvaluation.Severity.REVERSIBLE:
        return "II"
    return "III"
