"""Who is asking and what they may do: bearer tokens, roles, per-journey access, the audit log."""
