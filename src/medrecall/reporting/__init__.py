"""Where every recall stands: the per-recall cockpit, the cross-recall home page and the role work queues, from one set of selectors."""
