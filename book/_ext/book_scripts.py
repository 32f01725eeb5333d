"""Each inline script once per page.

sphinx-thebe adds its configuration script (``const THEBE_JS_URL = ...``) once per reading of the
sources, and Jupyter Book reads them twice, so every page declared the constant twice and the
browser reported "Identifier 'THEBE_JS_URL' has already been declared". This drops repeated script
entries from each page's context before it is written.
"""


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        # an inline script's filename is None or "" depending on who added it
        filename = getattr(script, "filename", script) or ""
        key = (str(filename), repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    scripts[:] = kept


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
