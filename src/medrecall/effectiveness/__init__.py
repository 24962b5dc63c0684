"""Effectiveness checks and completion of a recall.

Owns: the effectiveness-check level of each regime of a recall (FDA levels A–E, a level the
company chooses for NMPA and EU MDR), the reproducible random sample of consignees drawn from the
frozen scope (seed recorded, stratified into distributors and end users), the check records of
the sampled consignees (a failed check re-notifies the holder and opens an escalation), the
computed completion of a recall (every unit of the frozen scope accounted by execution, or
covered by a signed exception per holder and lot, the date recorded once) and the closing
signature. It registers its closure findings in ``recalls.hooks.CLOSURE_CHECKS``.
See docs/effectiveness.md."""
