"""Security alerts (docs/soc-alerts.md): :func:`record` stores the rules' findings as alerts
(the runner's sink: :func:`sink`), people acknowledge and resolve them, suppression windows
silence them, and new alerts are notified by signed webhook and e-mail."""

from lienthong.soc.alerts.service import record, sink

__all__ = ["record", "sink"]
