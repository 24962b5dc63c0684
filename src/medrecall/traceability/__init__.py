"""Traceability ("一物到底"): trace events (produced, shipped, received, installed, consumed,
returned, destroyed, transformed), positions derived from them, fast imports (CSV, Excel,
GS1 EPCIS 2.0), UDI barcode parsing (GS1 and HIBC), and the trace engine (forward,
backward, current position) as set-based SQL."""
