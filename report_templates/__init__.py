"""Templates and stylesheets for cdc-preflight reports (HTML, PDF and Markdown).

``report.html.j2`` renders both the HTML file and the PDF; ``report.css`` styles both and
``print.css`` (PDF only) adds pages, running header and footer, and the table of contents.
``report.md.j2`` is the ticket-sized Markdown summary.

Branding without a fork: pass a template directory (``--template-dir``); files there replace the
packaged ones of the same name. The small hooks meant for this are ``brand.css`` (included
last, so it can override colours and fonts) and ``_brand.html.j2`` (shown at the top of the
cover: a logo as inline SVG or a ``data:`` image, a firm's name). Reports never fetch anything,
so a logo must be inline.
"""
