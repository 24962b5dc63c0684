"""Audit: the append-only, hash-chained log every context writes regulated changes to.

Words: *entry* (one recorded action), *chain* (each entry's hash covers the previous
entry's hash), *verify* (recompute the chain and point at the first entry that no longer
matches). Entries are never updated or deleted by the product.
"""
