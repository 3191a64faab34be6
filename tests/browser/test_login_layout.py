"""Sign-in, page layout and sign-out as a user sees them in Chromium."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

HTMX_VERSION = "2.0.11"


def path_of(url: str) -> str:
    return urlsplit(url).path


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_home_redirects_to_login(page, live_server):
    page.goto(live_server.url + "/")

    assert path_of(page.url) == "/login"
    assert "next=%2F" in page.url
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_admin_sign_in_shows_layout(page, live_server):
    page.goto(live_server.url + "/")
    sign_in(page, live_server.admin_email, live_server.admin_password)

    page.wait_for_url(live_server.url + "/")
    header = page.locator("header.topbar")
    expect(header.get_by_role("link", name="olap", exact=True)).to_be_visible()
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Home")).to_be_visible()
    expect(navigation.get_by_role("link", name="Plugins")).to_have_attribute("href", "/admin/plugins")
    expect(header.get_by_text(f"{live_server.admin_email} (admin)")).to_be_visible()
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("heading", name="Your analytics")).to_be_visible()


def test_layout_loads_vendored_htmx(page, live_server):
    htmx_responses = []
    page.on("response", lambda response: htmx_responses.append(response) if "htmx" in response.url else None)
    page.goto(live_server.url + "/login")
    page.wait_for_function("() => window.htmx !== undefined")

    assert [path_of(response.url) for response in htmx_responses] == ["/static/vendor/htmx.min.js"]
    assert htmx_responses[0].status == 200
    assert page.evaluate("() => typeof window.htmx") == "object"
    assert page.evaluate("() => window.htmx.version") == HTMX_VERSION


def test_sign_out_returns_to_login(page, live_server):
    page.goto(live_server.url + "/login")
    sign_in(page, live_server.admin_email, live_server.admin_password)
    page.wait_for_url(live_server.url + "/")

    page.get_by_role("button", name="Sign out").click()

    page.wait_for_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.goto(live_server.url + "/")
    assert path_of(page.url) == "/login"


def test_wrong_password_shows_error(page, live_server):
    page.goto(live_server.url + "/login")
    sign_in(page, live_server.admin_email, "not-the-password")

    expect(page.get_by_role("alert")).to_have_text("The email or password is incorrect.")
    assert path_of(page.url) == "/login"
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_label("Email")).to_be_visible()
