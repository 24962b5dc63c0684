"""The notices context's refusals, one class per reason a caller may need to tell apart.

Each is a ``DomainError`` with its own ``code`` (the API's JSON ``code``) and the HTTP status
of its kind: a validation refusal answers 400, a notice that does not exist 404, an expired
reply link 410, a second reply 409. Checks of one input field (an empty message, a negative
amount) stay plain ``ValidationFailed`` with ``where`` naming the field.
"""

from __future__ import annotations

from medrecall.core.errors import DomainError, NotFound, ValidationFailed


class TemplateInvalid(ValidationFailed):
    """A template misses a required section or placeholder, or a required marking."""

    code = "template_invalid"


class TemplateNotDraft(ValidationFailed):
    """Only a draft version can be approved."""

    code = "template_not_draft"


class FourEyesRequired(ValidationFailed):
    """The author of a template (or the proposer of an offer) cannot approve it."""

    code = "four_eyes"


class TemplateMissing(ValidationFailed):
    """No approved template for a kind of notice in a regime: nothing can be issued."""

    code = "template_missing"


class NoticeWithoutTemplate(ValidationFailed):
    """A notice kept without its template cannot be rendered."""

    code = "notice_without_template"


class NoticeContentMissing(ValidationFailed):
    """A notice would go out with a section empty or in the wrong language (see ``content``)."""

    code = "notice_content"


class RecallWithoutRegime(ValidationFailed):
    """The recall has no regime, so no template applies."""

    code = "recall_without_regime"


class ScopeNotFrozen(ValidationFailed):
    """Notices list the frozen scope; there is none yet."""

    code = "scope_not_frozen"


class RecallNotApproved(ValidationFailed):
    """First and updated notices go out once the recall is approved."""

    code = "not_approved"


class HolderNotAffected(ValidationFailed):
    """A progress update to a holder with no affected units in the recall."""

    code = "holder_not_affected"


class MessageUnknown(NotFound):
    """A delivery report names a Message-ID no notice was sent with."""

    code = "message_unknown"


class NoLettersToPrint(ValidationFailed):
    """The print queue of the recall is empty."""

    code = "no_letters"


class OfferClosed(ValidationFailed):
    """An offer already decided, fulfilled, rejected or cancelled cannot be decided again."""

    code = "offer_closed"


class OfferNotApproved(ValidationFailed):
    """Only an approved offer can be fulfilled."""

    code = "offer_not_approved"


class RecallClosedForReplies(ValidationFailed):
    """The recall no longer takes replies."""

    code = "recall_not_open"


class AlreadyReplied(DomainError):
    """One reply per holder and recall; the first stands."""

    code = "already_replied"
    status = 409


class LinkInvalid(DomainError):
    """A reply link changed, cut, for another purpose or replaced by a newer notice."""

    code = "link_invalid"
    status = 404


class LinkExpired(DomainError):
    """A reply link older than ``MEDRECALL_REPLY_LINK_DAYS``."""

    code = "link_expired"
    status = 410


class FsnGateClosed(ValidationFailed):
    """The first field safety notice to an EU holder before the FSCA report and the draft FSN
    reached the competent authority, without a signed urgent override (MDR Art. 87, 89(8))."""

    code = "fsn_gate"


class FsnOverrideRefused(ValidationFailed):
    """An urgent override without its reason, authority or reference, or a second one."""

    code = "fsn_override"
