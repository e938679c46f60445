"""Connection monitoring of registered systems (docs/soc-connections.md)."""
