"""Recalls: the recall case (number, products, reason, hazard, type, regimes and class per
regime, depth, strategy, owner), its lifecycle from draft to closed, the health hazard
evaluation, the frozen scope snapshot resolved by the trace engine, impact by holder and
region, the compliance clock per regime, approvals with e-signatures."""
