"""Event imports: table files (CSV/Excel, ``events.py``) and GS1 EPCIS 2.0 (``epcis.py``),
both feeding the same staging and apply stages (``stage.py``)."""
