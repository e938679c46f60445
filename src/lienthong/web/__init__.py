"""The web face: FastAPI app factory, routers and the operator console."""

from lienthong.web.app import create_app

__all__ = ["create_app"]
