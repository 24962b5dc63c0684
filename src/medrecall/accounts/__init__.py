"""Accounts: users, roles (groups with permissions), portal users scoped to one party,
and each user's language. Electronic signatures join here with the recall issue."""
