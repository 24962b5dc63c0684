"""What the notice log shows done for the compliance clock's "notify holders" deadlines, as
every page and the API read it: one kept figure per recall and audit stamp.

``recalls.hooks.deadlines_done_from_records`` (``notices.notify_by.done_from_records``) reads
every holder of the frozen scope: about 0.7 s of CPU for a recall of 10,000 holders. The
cockpit's deadlines (in each language), the home page's open recalls and due list, the QA/RA
queue, the recall's page and the API all need it; each reads it through
``kept_done_from_records`` and passes it into the clock (``deadlines_for(..., from_records=)``,
``due_report(done_from_records=)``), so it is counted once per recall and stamp, whoever asks
first. The figure holds times, ``NotOwed`` and ``Partly`` (the counts of a filing submitted
to some of its authorities) only, no text: the same for every language. A submission is audited
(on the filing, a record of the recall), so it changes the recall's stamp and the figure is
counted afresh at once.

The clock (``recalls``) may not read ``reporting``: the figure is handed to it by the caller."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from medrecall.recalls.hooks import DeadlineRecord, deadlines_done_from_records
from medrecall.recalls.models import RecallCase

from .kept import keep_seconds, kept_each, recall_stamps

KEY = "done-from-records"


def kept_done_from_records(
    recalls: Sequence[RecallCase], *, stamp: int | Callable[[int], int] | None = None
) -> dict[tuple[int, str], DeadlineRecord]:
    """``recalls.hooks.deadlines_done_from_records`` (the "notify holders" deadlines the notice
    log shows done: every holder of the frozen scope read, thousands for a large recall), each
    recall's kept under its audit stamp (``reporting.kept``; ``stamp``: one for all or each
    recall's, by default each recall's own). A notice delivered or acknowledged is seen at
    once when audited, else within ``MEDRECALL_COCKPIT_CACHE_SECONDS``."""
    if keep_seconds() <= 0:
        return deadlines_done_from_records(list(recalls))
    by_id = {recall.pk: recall for recall in recalls}

    def counted(ids: list[int]) -> dict[int, dict[str, DeadlineRecord]]:
        found: dict[int, dict[str, DeadlineRecord]] = {pk: {} for pk in ids}
        for (recall_id, key), at in deadlines_done_from_records([by_id[pk] for pk in ids]).items():
            found[recall_id][key] = at
        return found

    kept_done = kept_each(KEY, by_id, counted, stamp=recall_stamps().of if stamp is None else stamp)
    return {
        (recall_id, key): at for recall_id, done in kept_done.items() for key, at in done.items()
    }
