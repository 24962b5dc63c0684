"""Core: the base model, domain errors, identifiers (GTIN), tabular file reading and
the shared import machinery (row errors, policies, progress) every context builds on."""
