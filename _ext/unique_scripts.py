"""Emit each script once per page.

Sphinx 7.4 records a script that an extension registers after the HTML builder
has started twice: once as the builder saw it (``filename=None``) and once
re-read from the registry before writing (``filename=''``). The two never
compare equal, so body-only scripts appear twice in every page; for
sphinx-thebe's ``const THEBE_JS_URL = ...`` the second copy raises
"Identifier 'THEBE_JS_URL' has already been declared" in the browser.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _key(script: Any) -> tuple:
    return (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))


def unique_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    # Late priority: after every extension has added its per-page scripts.
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
