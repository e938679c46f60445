"""The dataset contract every domain shares: how a record key is composed and parsed, and how
sent text becomes a typed value. Below the domains: standards validate with it, the store
writes and reads with it."""
