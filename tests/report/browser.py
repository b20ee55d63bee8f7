"""Open a local HTML file in headless Debian Chromium (playwright drives it), with the network cut.

Every request that is not ``file:`` is aborted and counted. ``playwright install`` is never needed:
the system browser is used through ``executable_path``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def chromium_path() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Session:
    page: object
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@contextmanager
def open_page(path: Path, *, width: int = 1200, height: int = 900) -> Iterator[Session]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
        )
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, offline=True)
            session = Session(context.new_page())

            def route(r) -> None:
                if r.request.url.startswith("file:"):
                    r.continue_()
                else:
                    session.blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            session.page.on(
                "console",
                lambda m: session.console_errors.append(m.text) if m.type == "error" else None,
            )
            session.page.goto(Path(path).resolve().as_uri(), wait_until="load")
            yield session
        finally:
            browser.close()
