"""Change events: what changed in the store, delivered to subscribed consumers under their
grants (docs/changes.md)."""
