"""People's sign-in with the province's identity provider (OpenID Connect): sessions, and
:func:`signed_in` for code that needs to know who holds a session cookie."""

from lienthong.signin.service import SignedIn, signed_in

__all__ = ["SignedIn", "signed_in"]
