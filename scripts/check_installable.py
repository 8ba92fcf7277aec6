"""Is CozyWish installable? Ask Chromium, and Lighthouse's PWA audits (docs/installable-app.md).

Against a running app (``make run`` serves http://127.0.0.1:5000):

    .venv/bin/python scripts/check_installable.py --url http://127.0.0.1:5000 \\
        --lighthouse /tmp/lh11/node_modules/.bin/lighthouse --report /tmp/lighthouse-pwa.json

1. Chromium (Debian's /usr/bin/chromium, or CHROME_PATH) opens the home page through Playwright,
   waits for the service worker to control it and asks the DevTools protocol
   ``Page.getInstallabilityErrors`` (an empty list: installable) and ``Page.getAppManifest``
   (the manifest Chromium parsed, and its errors).
2. With ``--lighthouse``: that Lighthouse binary, run headless on the same Chromium with
   ``--only-categories=pwa``. Lighthouse 12 and later have no PWA category; install 11 from the
   npm registry into a scratch folder, never into package.json:
   ``mkdir /tmp/lh11 && cd /tmp/lh11 && npm init -y && npm install lighthouse@11.7.1``.

Exits 1 when Chromium lists an installability error or a Lighthouse PWA audit fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run"]
# The PWA category's audits that can pass or fail (the others are "manual" checklists).
PWA_AUDITS = ("installable-manifest", "splash-screen", "themed-omnibox", "content-width", "viewport", "maskable-icon")


def chromium_check(url: str) -> dict:
    # A persistent profile: Chromium never offers to install from an incognito window, and
    # Playwright's ordinary contexts are incognito ("in-incognito" would be the only error).
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            errors: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(url)
            # Polled from here: wait_for_function would evaluate a string in the page, which its CSP refuses.
            for _ in range(80):
                if page.evaluate("navigator.serviceWorker.controller !== null"):
                    break
                page.wait_for_timeout(250)
            session = context.new_cdp_session(page)
            installability = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
            manifest = session.send("Page.getAppManifest")
            return {
                "chromium": context.browser.version if context.browser else "",
                "url": url,
                "controlledByServiceWorker": page.evaluate("navigator.serviceWorker.controller !== null"),
                "installabilityErrors": installability,
                "manifestUrl": manifest.get("url"),
                "manifestErrors": manifest.get("errors", []),
                "consoleErrors": errors,
            }
        finally:
            context.close()


def lighthouse_check(binary: str, url: str, report: Path | None) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        out = report or Path(scratch) / "lighthouse.json"
        command = [
            binary,
            url,
            "--only-categories=pwa",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            f"--chrome-flags={' '.join(CHROMIUM_ARGS)}",
        ]
        # The binary is the one the person running this script named on its command line.
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)  # noqa: S603
        subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM})  # noqa: S603
        result = json.loads(out.read_text())
    category = result["categories"].get("pwa")
    if category is None:
        return {
            "lighthouse": version.stdout.strip(),
            "error": "this Lighthouse has no PWA category (12 and later): use 11",
        }
    audits = {name: result["audits"][name] for name in PWA_AUDITS if name in result["audits"]}
    return {
        "lighthouse": version.stdout.strip(),
        "command": " ".join(command),
        "audits": {
            name: {"score": audit["score"], "title": audit["title"], **_why(audit)} for name, audit in audits.items()
        },
    }


def _why(audit: dict) -> dict:
    details = audit.get("details") or {}
    reasons = [item.get("reason") for item in details.get("items", []) if isinstance(item, dict) and item.get("reason")]
    return {"reasons": reasons} if reasons else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000/")
    parser.add_argument("--lighthouse", help="a Lighthouse 11 binary (node_modules/.bin/lighthouse)")
    parser.add_argument("--report", type=Path, help="keep Lighthouse's full JSON report here")
    args = parser.parse_args(argv)

    found = {"chromium": chromium_check(args.url)}
    failed = bool(found["chromium"]["installabilityErrors"] or found["chromium"]["manifestErrors"])
    if args.lighthouse:
        found["lighthouse"] = lighthouse_check(args.lighthouse, args.url, args.report)
        audits = found["lighthouse"].get("audits")
        failed = failed or not audits or any(audit["score"] != 1 for audit in audits.values())
    print(json.dumps(found, indent=2))
    print("installable: " + ("NO" if failed else "yes"), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
