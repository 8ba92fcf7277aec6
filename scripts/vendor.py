"""Copy the front-end files we serve from node_modules/ into static/vendor/ (not committed)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

FILES = {
    "bootstrap/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "bootstrap/dist/css/bootstrap.min.css.map": "bootstrap/bootstrap.min.css.map",
    "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
    "bootstrap/dist/js/bootstrap.bundle.min.js.map": "bootstrap/bootstrap.bundle.min.js.map",
    "bootstrap-icons/font/bootstrap-icons.min.css": "bootstrap-icons/bootstrap-icons.min.css",
    "bootstrap-icons/font/fonts/bootstrap-icons.woff2": "bootstrap-icons/fonts/bootstrap-icons.woff2",
    "bootstrap-icons/font/fonts/bootstrap-icons.woff": "bootstrap-icons/fonts/bootstrap-icons.woff",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "leaflet/dist/leaflet.js": "leaflet/leaflet.js",
    "leaflet/dist/leaflet.css": "leaflet/leaflet.css",
    "leaflet/dist/images/marker-icon.png": "leaflet/images/marker-icon.png",
    "leaflet/dist/images/marker-icon-2x.png": "leaflet/images/marker-icon-2x.png",
    "leaflet/dist/images/marker-shadow.png": "leaflet/images/marker-shadow.png",
    # The password meter, loaded only when someone types in a password field: the engine and the
    # common-password list as browser builds (each sets window.zxcvbnts.*), and the feedback
    # sentences in each of our languages as ES modules (the page's language picks one). The word
    # and name lists (about 550 KB compressed each) are left out on purpose: see
    # docs/architecture.md, "Static files".
    "@zxcvbn-ts/core/dist/zxcvbn-ts.js": "zxcvbn-ts/core.js",
    "@zxcvbn-ts/language-common/dist/zxcvbn-ts.js": "zxcvbn-ts/language-common.js",
    "@zxcvbn-ts/language-en/dist/translations.mjs": "zxcvbn-ts/translations-en.mjs",
    "@zxcvbn-ts/language-es-es/dist/translations.mjs": "zxcvbn-ts/translations-es.mjs",
    # The check-in page's QR scanner, an ES module imported only when its camera starts; it
    # imports its decoding worker from beside itself.
    "qr-scanner/qr-scanner.min.js": "qr-scanner/qr-scanner.min.js",
    "qr-scanner/qr-scanner-worker.min.js": "qr-scanner/qr-scanner-worker.min.js",
    # The API's reference page (/api/v1/docs): Swagger UI's browser bundle and styles, started by
    # our own static/js/api-docs.js (no inline script, so the site's CSP holds).
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
}


def main() -> int:
    missing = [src for src in FILES if not (MODULES / src).exists()]
    if missing:
        print("Missing from node_modules (run `npm ci`):", *missing, sep="\n  ", file=sys.stderr)
        return 1
    # Start clean so a package dropped from FILES leaves nothing behind to be served (a worktree's
    # static/vendor may be a link to another checkout's: replace the link, leave its target alone).
    if VENDOR.is_symlink():
        VENDOR.unlink()
    shutil.rmtree(VENDOR, ignore_errors=True)
    for src, dest in FILES.items():
        target = VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MODULES / src, target)
    print(f"Copied {len(FILES)} files into {VENDOR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
