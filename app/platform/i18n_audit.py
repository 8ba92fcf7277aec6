"""What is left to translate: marked messages with no translation, and text left unmarked.

Used by tests/foundation/test_i18n.py (which fails on either) and by hand while translating:

    .venv/bin/python -m app.platform.i18n_audit            # everything left, by file
    .venv/bin/python -m app.platform.i18n_audit templates/booking   # only under a path
    .venv/bin/python -m app.platform.i18n_audit --add-to app/translations/es/booking.po templates/booking
        # adds the path's marked messages that no catalogue file has yet, with an empty
        # translation to fill in, to that file (it must exist, with a header like base.po's)

Python text a user sees is checked too (``unmarked_python``): the message of a ``flash(...)``,
of a raised user-facing error (``USER_ERRORS``: the domain errors, WTForms' ``ValidationError``,
search and form input errors) and a WTForms field's label, description and choices or a
validator's message, when given as a plain string (a literal, an f-string, a join) rather
than through ``_()``/``_l()``. ``PYTHON_ALLOWED`` lists the deliberate exceptions, with reasons.

*Marked* messages are extracted with Babel from the Python code (``_``, ``gettext``,
``ngettext``, ``lazy_gettext``, ``_l``) and the Jinja templates (``_``, ``gettext``, ``ngettext``,
``{% trans %}``). *Unmarked* text is a template's words outside any tag, expression or
statement, and the words in its ``alt``, ``title``, ``placeholder``, ``aria-label`` and
``aria-description`` attributes, that are not inside ``{{ ... }}``. Text meant to stay as it is
(the brand, a currency code, an example e-mail address) is listed in ``KEEP``.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import extract_from_file

from app.platform import i18n

ROOT = Path(__file__).resolve().parents[2]
PYTHON_DIRS = ("app", "search")
TEMPLATES = ROOT / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2)}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "true"}

# Words that read the same in every language we have, or that are names.
KEEP = {
    "CozyWish",
    "Stripe",
    "Google",
    "Apple",
    "GBP",
    "EUR",
    "USD",
    "QR",
    "CSV",
    "OK",
    "ics",
    "iCal",
    "SMS",
    "HTMX",
    "PostgreSQL",
    "Elasticsearch",
    "Twilio",
    "Express",
}

_JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"<[^>]*>", re.S)
_ATTR = re.compile(r"""\b(alt|title|placeholder|aria-label|aria-description)\s*=\s*(["'])(.*?)\2""", re.S | re.I)
_ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
# Raw and filter blocks hold no words to mark; a trans block's words are marked (Babel extracts them).
_RAW_BLOCK = re.compile(r"{%-?\s*(raw|filter\s+\w+|trans\b.*?)\s*-?%}.*?{%-?\s*end(raw|filter|trans)\s*-?%}", re.S)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str


# -- Python: text a user sees must go through gettext -----------------------------------------

# Errors whose message is shown to a person (the error pages, form errors, toasts, fragments).
USER_ERRORS = {
    "DomainError",
    "ValidationFailed",
    "LimitReached",
    "InvalidTransition",
    "TooManyAttempts",
    "SlotUnavailable",
    "CartItemInvalid",
    "CheckInRefused",
    "PasskeyRefused",
    "ChallengeExpired",
    "PasskeyNotFound",
    "PromoRefused",
    "VoucherRefused",
    "BadFilter",
    "LinkConflict",
    "LinkNotFound",
    "LinkInvalid",
    "ExportNotAvailable",
    "ProviderUnavailable",
    "ProviderRefused",
    "WrongCode",
    "VenueNotListed",
    "NotReviewable",
    "AlreadyReviewed",
    "ImagesBusy",
    "ValidationError",  # WTForms: shown under the field
    "InvalidQuery",  # search parameters: shown on the search page
    "BadInput",  # booking and reschedule forms' parameters: shown as the form's error
    "NotFound",
}
# Deliberately left in English, with why: (path, error class or call) -> reason.
PYTHON_ALLOWED = {
    "InvalidEvent": "answers to the payment provider's webhook, read by machines and logs",
    "GatewayError": "for operators: logged, stored on transfers, shown in the admins' reconcile report",
    "BackupError": "the backup command's message to the operator on the command line",
    "SmsGatewayError": "the SMS provider's failure, logged for operators",
    "SearchUnavailable": "the search backend's failure, logged for operators",
    "IndexingFailed": "the search backend's failure, logged for operators",
}
# Files whose ValueErrors are a form field's message (WTForms shows a ValueError raised while
# reading a field's input under the field).
FIELD_PARSERS = ("forms.py", "app/venues/hours.py")
# Shared helpers whose argument at (position, name) is shown to the user as a message.
MESSAGE_PARAMETERS: dict[str, set[tuple[int, str]]] = {
    "add_toast": {(1, "message")},
    "render_error": {(1, "message")},
    "abort": {(1, "description")},
}
GETTEXT_CALLS = {"_", "_l", "gettext", "ngettext", "lazy_gettext", "lazy_ngettext", "pgettext"}
# WTForms: keyword arguments of fields and validators that are shown to the user.
FIELD_TEXT_KEYWORDS = {"label", "description", "message", "choices"}


def _is_plain_text(node: ast.AST | None) -> bool:
    """A literal string, an f-string, or one built from literals ("a" + b, "a %s" % b, "a".format(b))."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(_WORD.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and _WORD.search(str(v.value)) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _is_plain_text(node.left) or (isinstance(node.op, ast.Add) and _is_plain_text(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _is_plain_text(node.func.value)
    if isinstance(node, ast.IfExp):
        return _is_plain_text(node.body) or _is_plain_text(node.orelse)
    return False


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _plain_choices(node: ast.AST) -> bool:
    """choices=[("value", "Label"), ...] with a plain label."""
    if isinstance(node, (ast.List, ast.Tuple)):
        for item in node.elts:
            if isinstance(item, ast.Tuple) and len(item.elts) == 2 and _is_plain_text(item.elts[1]):
                return True
    return False


def _is_field_or_validator(name: str) -> bool:
    return name.endswith("Field") or name in {
        "DataRequired",
        "InputRequired",
        "Length",
        "Email",
        "EqualTo",
        "NumberRange",
        "Regexp",
        "URL",
        "AnyOf",
        "NoneOf",
        "Optional",
        "FileAllowed",
        "FileRequired",
        "FileSize",
    }


def unmarked_python(path: Path) -> list[Finding]:
    """Text a user sees in ``path`` (a Python file) that no ``_()``/``_l()`` marks."""
    return sorted(set(_unmarked_python(path)), key=lambda f: (f.line, f.text))


def _unmarked_python(path: Path) -> Iterator[Finding]:
    rel = str(path.relative_to(ROOT))
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    plain_assignments: dict[str, list[tuple[int, ast.AST]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            values = [node.value.body, node.value.orelse] if isinstance(node.value, ast.IfExp) else [node.value]
            for target in targets:
                if isinstance(target, ast.Name) and any(_is_plain_text(v) for v in values):
                    plain_assignments.setdefault(target.id, []).append((node.lineno, node.value))
    # Functions of this file (and a few shared ones) that show a parameter to the user as a
    # message: a plain string passed there is as visible as one given to flash().
    message_params = dict(MESSAGE_PARAMETERS)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = [a.arg for a in node.args.args]
            for index, arg in enumerate(names):
                if arg in ("message", "error", "toast"):
                    message_params.setdefault(node.name, set()).add((index, arg))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in message_params:
            for index, arg in message_params[_name(node.func)]:
                given = node.args[index] if index < len(node.args) else None
                given = given or next((k.value for k in node.keywords if k.arg == arg), None)
                if given is not None and _is_plain_text(given):
                    yield Finding(rel, node.lineno, f"{_name(node.func)}({arg}={ast.unparse(given)[:80]})")
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            name = _name(node.exc.func)
            user_facing = name in USER_ERRORS or (name == "ValueError" and rel.endswith(FIELD_PARSERS))
            if user_facing and node.exc.args and _is_plain_text(node.exc.args[0]):
                yield Finding(rel, node.lineno, f"raise {name}({ast.unparse(node.exc.args[0])[:80]})")
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name == "flash" and node.args and _is_plain_text(node.args[0]):
            yield Finding(rel, node.lineno, f"flash({ast.unparse(node.args[0])[:80]})")
        elif name == "flash" and node.args and isinstance(node.args[0], ast.Name):
            for line, value in plain_assignments.get(node.args[0].id, []):  # message = "..."; flash(message)
                yield Finding(rel, line, f"{node.args[0].id} = {ast.unparse(value)[:80]} (flashed)")
        elif _is_field_or_validator(name):
            if name.endswith("Field") and node.args and _is_plain_text(node.args[0]):
                yield Finding(rel, node.lineno, f"{name}({ast.unparse(node.args[0])[:80]})")
            for keyword in node.keywords:
                if keyword.arg in FIELD_TEXT_KEYWORDS and (
                    _is_plain_text(keyword.value) or (keyword.arg == "choices" and _plain_choices(keyword.value))
                ):
                    yield Finding(rel, node.lineno, f"{name}({keyword.arg}={ast.unparse(keyword.value)[:80]})")


def python_files() -> list[Path]:
    return sorted(p for d in PYTHON_DIRS for p in (ROOT / d).rglob("*.py"))


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(_ENTITY.sub(" ", text)) if w not in KEEP]


def unmarked_text(path: Path) -> Iterator[Finding]:
    """Words in ``path`` (a template) that no ``_()`` marks."""
    source = path.read_text(encoding="utf-8")
    rel = str(path.relative_to(ROOT))

    def blank(match: re.Match[str]) -> str:  # keep line numbers: replace with the newlines only
        return "\n" * match.group(0).count("\n") + " "

    text = _RAW_BLOCK.sub(blank, source)
    text = _JINJA.sub(blank, text)
    text = _COMMENT.sub(blank, text)
    text = _SCRIPT_STYLE.sub(blank, text)
    for match in _ATTR.finditer(text):
        if _words(match.group(3)):
            line = text.count("\n", 0, match.start()) + 1
            yield Finding(rel, line, f'{match.group(1)}="{match.group(3).strip()}"')
    text = _TAG.sub(blank, text)
    for number, line in enumerate(text.splitlines(), start=1):
        if _words(line):
            yield Finding(rel, number, line.strip())


def template_files(under: Path = TEMPLATES) -> list[Path]:
    return sorted(p for p in under.rglob("*") if p.suffix in (".html", ".txt") and p.is_file())


def marked_messages(paths: list[Path]) -> Iterator[tuple[str, int, str | tuple[str, str]]]:
    """``(path, line, msgid)`` of every marked message in ``paths``; a plural message's msgid is
    its ``(singular, plural)`` pair, as a catalogue keeps it."""
    for path in paths:
        method = "python" if path.suffix == ".py" else "jinja2.ext:babel_extract"
        options = {} if path.suffix == ".py" else JINJA_OPTIONS
        for lineno, message, _comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            if isinstance(message, tuple):
                parts = tuple(m for m in message if m)
                msgid = parts if len(parts) == 2 else (parts[0] if parts else "")
            else:
                msgid = message
            if msgid:
                yield str(path.relative_to(ROOT)), lineno, msgid


def source_files() -> list[Path]:
    files = [p for d in PYTHON_DIRS for p in (ROOT / d).rglob("*.py")]
    return sorted(files) + template_files()


def untranslated(language: str, paths: list[Path] | None = None) -> list[Finding]:
    """Marked messages with no ``language`` translation (an empty or fuzzy one counts as none)."""
    catalogue = i18n.merged_catalogue(language)
    missing = []
    for path, line, msgid in marked_messages(paths if paths is not None else source_files()):
        message = catalogue.get(msgid)
        string = message.string if message is not None else None
        if isinstance(msgid, tuple) != isinstance(string, tuple):
            string = ""  # a plural message translated as a singular one, or the other way round
        elif isinstance(string, tuple):
            string = string[0] if all(string) else ""
        if not string or (message is not None and message.fuzzy):
            missing.append(Finding(path, line, msgid[0] if isinstance(msgid, tuple) else msgid))
    return missing


def add_missing(po_path: Path, files: list[Path]) -> int:
    """Add to ``po_path`` every marked message of ``files`` no catalogue file of its language has."""
    from babel.messages.pofile import read_po, write_po

    language = po_path.parent.name
    known = i18n.merged_catalogue(language)
    with po_path.open("rb") as fh:
        catalogue = read_po(fh, locale=language)
    added = 0
    for path, line, msgid in marked_messages(files):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        if key in known or key in catalogue:
            continue
        empty = ("", "") if isinstance(msgid, tuple) else ""
        catalogue.add(msgid, empty, locations=[(path, line)])
        added += 1
    catalogue.project, catalogue.version, catalogue.msgid_bugs_address = "CozyWish", "", ""
    catalogue.last_translator = catalogue.language_team = "CozyWish"
    with po_path.open("wb") as fh:
        write_po(fh, catalogue, width=120, omit_header=False, sort_output=False)
    i18n.merged_catalogue.cache_clear()
    return added


def main(argv: list[str]) -> int:
    add_to = None
    if argv[:1] == ["--add-to"]:
        add_to, argv = ROOT / argv[1], argv[2:]
    under = [ROOT / a for a in argv] or [ROOT]
    if add_to is not None:
        files = [p for p in source_files() if any(p.is_relative_to(u) for u in under)]
        print(f"{add_missing(add_to, files)} messages added to {add_to.relative_to(ROOT)}", file=sys.stderr)
        return 0
    files = [p for p in source_files() if any(p.is_relative_to(u) for u in under)]
    templates = [p for p in files if p.suffix in (".html", ".txt")]
    unmarked = [f for p in templates for f in unmarked_text(p)]
    unmarked += [f for p in files if p.suffix == ".py" for f in unmarked_python(p)]
    count = len(unmarked)
    for f in unmarked:
        print(f"unmarked  {f.path}:{f.line}: {f.text[:100]}")
    for language in i18n.LANGUAGES:
        if language == i18n.SOURCE:
            continue
        missing = untranslated(language, files)
        count += len(missing)
        for f in missing:
            print(f"no {language:<6} {f.path}:{f.line}: {f.text[:100]}")
    print(f"{count} left", file=sys.stderr)
    return 1 if count else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
