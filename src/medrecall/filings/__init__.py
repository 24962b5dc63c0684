"""Regulatory filings: the documents a recall owes its regulators (NMPA event report,
investigation and assessment report, recall plan, progress reports, summary evaluation report,
publication record), each generated from the recall's own data, checked for its required
content, e-signed, submitted with the authority's acknowledgement and versioned. Submitting a
filing marks the recall's deadline for that document done (docs/filings.md)."""
