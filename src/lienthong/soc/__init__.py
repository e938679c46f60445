"""Security monitoring: detection rules over the audit stream, alerts, connection monitoring,
notifications and export to the province's SIEM (docs/soc.md)."""
