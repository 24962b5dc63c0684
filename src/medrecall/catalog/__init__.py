"""Catalog: the devices we make — device models with their UDI-DI (GTIN), risk class per
regime, registration/clearance numbers and tracking level (lot or serial) — and the lots
and serial numbers produced of them."""
