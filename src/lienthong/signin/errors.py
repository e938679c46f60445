"""Sign-in's refusals: Vietnamese first, English on request (``Accept-Language: en``).

Each carries a ``reason``, a short stable word for the audit entry (``expired``,
``wrong-issuer``, …): the person sees what to do, the auditor sees why.
"""

from __future__ import annotations

from lienthong.errors import LienthongError


class SignInError(LienthongError):
    """A sign-in failure said in Vietnamese (``message``) and in English (``message_en``)."""

    def __init__(self, message: str, message_en: str, *, reason: str) -> None:
        super().__init__(message)
        self.message_en = message_en
        self.reason = reason

    def in_english(self) -> SignInError:
        """The same error with its English message in front."""
        # Not copy.copy: it rebuilds the error from ``args``, which not every __init__ takes.
        english = type(self).__new__(type(self))
        english.__dict__.update(self.__dict__)
        english.message = self.message_en
        english.args = (self.message_en,)
        return english


class SignInOff(SignInError):
    """Not served: this deployment has no identity provider configured."""

    code = "signin-off"
    status = 404

    def __init__(self) -> None:
        super().__init__(
            "Đăng nhập bằng tài khoản định danh chưa được bật trên nền tảng này "
            "(chưa cấu hình LIENTHONG_SIGNIN_ISSUER).",
            "Sign-in with the identity provider is not set up on this platform "
            "(LIENTHONG_SIGNIN_ISSUER is not configured).",
            reason="off",
        )


class ProviderUnavailable(SignInError):
    """The identity provider cannot be reached or answered something that is not OpenID
    Connect; nobody is signed in."""

    code = "signin-provider-unavailable"
    status = 502

    def __init__(self, what: str, *, reason: str = "provider-unavailable") -> None:
        super().__init__(
            "Không kết nối được với hệ thống định danh (nhà cung cấp đăng nhập) hoặc hệ thống "
            "trả lời không hợp lệ; chưa đăng nhập. Vui lòng thử lại sau ít phút.",
            f"The identity provider cannot be reached or gave an invalid answer ({what}); "
            "you are not signed in. Try again in a few minutes.",
            reason=reason,
        )


class SignInRefused(SignInError):
    """The provider's answer does not prove who the person is (ID token, state, code)."""

    code = "signin-refused"
    status = 401

    def __init__(self, what: str, *, reason: str) -> None:
        super().__init__(
            "Đăng nhập không thành công: không xác minh được thông tin đăng nhập từ hệ thống "
            "định danh. Vui lòng đăng nhập lại từ đầu.",
            f"Sign-in failed: the identity provider's answer could not be verified ({what}). "
            "Start the sign-in again.",
            reason=reason,
        )


class NotSignedIn(SignInError):
    code = "not-signed-in"
    status = 401

    def __init__(self) -> None:
        super().__init__(
            "Chưa đăng nhập, hoặc phiên đăng nhập đã hết hạn hay đã đăng xuất. "
            "Vui lòng đăng nhập tại /signin/login.",
            "Not signed in, or the session expired or was signed out. Sign in at /signin/login.",
            reason="no-session",
        )


class CrossSiteRefused(SignInError):
    """A change asked with the session cookie but without the session's anti-forgery token
    (``X-CSRF-Token``): possibly a page of another site, riding the browser's cookie."""

    code = "csrf-token-invalid"
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "Yêu cầu thay đổi dữ liệu bằng phiên đăng nhập phải kèm mã chống giả mạo của phiên "
            "(tiêu đề X-CSRF-Token, lấy từ cookie __Host-lienthong-csrf); yêu cầu bị từ chối.",
            "A change made with the session cookie must carry the session's anti-forgery token "
            "(header X-CSRF-Token, from the cookie __Host-lienthong-csrf); refused.",
            reason="csrf",
        )
