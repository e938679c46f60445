"""The proxy's refusals and the provider's failures, in the one error shape."""

from __future__ import annotations

from lienthong.errors import LienthongError, retry_after_header


class MethodNotDeclared(LienthongError):
    """The path is declared, not with this method; ``Allow`` names those that are."""

    code = "method-not-declared"
    status = 405

    def __init__(self, message: str, *, allow: list[str]) -> None:
        super().__init__(message)
        self.headers = {"Allow": ", ".join(sorted(allow))}


class ProviderTimeout(LienthongError):
    code = "provider-timeout"
    status = 504


class ProviderUnreachable(LienthongError):
    code = "provider-unreachable"
    status = 502


class ResponseTooLarge(LienthongError):
    code = "provider-response-too-large"
    status = 502


class ProviderUnavailable(LienthongError):
    """The service's circuit breaker is open; ``Retry-After`` says when a trial call goes."""

    code = "provider-unavailable"
    status = 503

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.headers = retry_after_header(retry_after)
