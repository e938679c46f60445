"""Export to the province's SIEM: audit and alert events as ECS-shaped JSON (ecs), as RFC 5424
syslog messages (syslog) sent over TCP or TLS (transport), and a forwarder that follows the
audit log and keeps its position (forwarder). docs/soc-siem.md."""
