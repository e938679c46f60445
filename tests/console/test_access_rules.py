"""Deny by default, checked when the console is built: a page without an access rule, or a
form POST without the CSRF check, stops it."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends

from lienthong.console.access import Page, Viewer, check_pages, form_checked
from lienthong.console.views import PUBLIC_PAGES, router
from lienthong.errors import ConfigurationError
from lienthong.http.permissions import Permission


def test_a_page_without_a_rule_stops_the_build() -> None:
    loose = APIRouter(prefix="/console")

    @loose.get("/open")
    def open_page() -> None: ...

    with pytest.raises(ConfigurationError, match="/console/open"):
        check_pages(loose, ())


def test_a_form_without_the_csrf_check_stops_the_build() -> None:
    loose = APIRouter(prefix="/console")

    @loose.post("/change")
    def change(_viewer: Annotated[Viewer, Depends(Page(Permission.registry_read))]) -> None: ...

    with pytest.raises(ConfigurationError, match="CSRF check: \\['/console/change'\\]"):
        check_pages(loose, ())

    @loose.post("/checked")
    def checked(
        _viewer: Annotated[Viewer, Depends(Page(Permission.registry_read))],
        _form: Annotated[dict[str, str], Depends(form_checked)],
    ) -> None: ...

    with pytest.raises(ConfigurationError, match="CSRF check: \\['/console/change'\\]"):
        check_pages(loose, ())


def test_only_the_sign_in_page_and_the_not_found_page_are_public() -> None:
    check_pages(router, PUBLIC_PAGES)
    assert PUBLIC_PAGES == ("/console/welcome", "/console/{rest:path}")
