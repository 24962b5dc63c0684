"""Costs of a recall: ledger, exchange rates, budget and forecast, vendor quotes, refunds and compensation (issue F1–F4)."""
