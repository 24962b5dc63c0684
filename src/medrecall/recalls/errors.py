"""Refusals of the recalls context, one class (and ``code``) per refusal a caller may need to
tell apart. Those that used to be a plain ``ValidationFailed`` still derive from it (HTTP 400).

A refusal the lifecycle already rules out (editing a closed recall, freezing the scope after
execution, signing an approval outside pending approval: ``ActionNotAllowed``, 409) keeps its
plain ``ValidationFailed`` as the last guard under the row lock."""

from __future__ import annotations

from medrecall.core.errors import DomainError, ValidationFailed


class TransitionRefused(DomainError):
    """A lifecycle move refused; ``details`` lists every reason."""

    code = "transition_refused"


class ReasonRequired(ValidationFailed):
    """The change needs a reason: a class changed or departing from the proposal, a decision
    date changed after approval, a closure exception."""

    code = "reason_required"


class ClassNotAllowed(ValidationFailed):
    """The class is not one of the regime's classes."""

    code = "class_not_allowed"


class RegimeMissing(ValidationFailed):
    """A class for a regime the recall does not have."""

    code = "regime_missing"


class ScopeRulesMissing(ValidationFailed):
    code = "scope_rules_missing"


class ScopeEmpty(ValidationFailed):
    """The rules match lots, but none of their units is anywhere now."""

    code = "scope_empty"


class ScopeRuleRefused(ValidationFailed):
    """A scope rule that cannot be resolved (base of the three below)."""

    code = "scope_rule_refused"


class UnitsUnknown(ScopeRuleRefused):
    """Lots or serials the rule names are not known for its device model."""

    code = "units_unknown"


class RangeInvalid(ScopeRuleRefused):
    """A range whose start is after its end, or a date that is not one."""

    code = "range_invalid"


class RuleMatchesNothing(ScopeRuleRefused):
    code = "matches_nothing"


class StepNotRequired(ValidationFailed):
    code = "step_not_required"


class SignerRoleRefused(ValidationFailed):
    """The signer's role may not sign the step."""

    code = "not_allowed"


class StepSignedAlready(ValidationFailed):
    code = "step_signed_already"


class SameSignerRefused(ValidationFailed):
    """One person tried to sign two steps of one recall's approval that need different signers."""

    code = "same_signer"


class ClosureExceptionRefused(DomainError):
    """Nothing is outstanding: the recall closes without an exception."""

    code = "closure_exception_refused"
    status = 409


class FdaRecordInvalid(ValidationFailed):
    """What FDA sent (classification, recall event id, Z-numbers) cannot be recorded as given:
    ``details`` names each problem."""

    code = "fda_record_invalid"
