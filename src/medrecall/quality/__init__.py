"""The quality loop: complaints and adverse events, root causes and CAPA, early-warning signals."""
