"""Debian's Chromium for the browser tests: where it is, the flags this closed network needs, the skip marker
for machines without it, one way to launch it (a context manager that closes it again), and one accessibility
check (axe-core, vendored in tests/vendor/axe-core) for every page the tests drive.

Launch it only after any fixture that calls `asyncio.run` has run: sync Playwright keeps an event loop on its
thread, after which `asyncio.run` on that thread fails.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("moderate", "serious", "critical")  # axe's impacts that fail a test; "minor" ones are left to judgement
# Every rule axe runs by default (WCAG 2.x A/AA and best practices such as landmarks and headings), shadow roots
# included; each finding as its rule, impact, summary and the elements (a shadow host's path joined with " >>> ").
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.flat().join(" >>> "))}))"""


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium (a Playwright `Browser`), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def axe_findings(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on a Playwright page as it is now. axe is evaluated through the DevTools protocol,
    which a page's Content-Security-Policy does not restrict, and only once per document."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    findings: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return findings


def assert_accessible(page: Any, where: str) -> None:
    """Fails on any axe-core violation of moderate impact or worse, listing rule id, impact and targets."""
    bad = [f for f in axe_findings(page) if f["impact"] in BLOCKING]
    assert not bad, f"axe-core on {where}: " + "; ".join(
        f"{f['id']} ({f['impact']}: {f['help']}) at {', '.join(f['targets'][:6])}" for f in bad)
