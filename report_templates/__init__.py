"""Templates and stylesheets for cdc-preflight reports (HTML, PDF and Markdown).

``report.html.j2`` renders both the HTML file and the PDF; ``report.css`` styles both,
``screen.css`` (HTML only) adds the small-screen layout and the controls of
``_script.html.j2`` (search, filter, sort: small, inline, no network; the page is complete
without it), and ``print.css`` (PDF only) adds pages, running header and footer, the table of
contents, the landscape pages of the inventory and the packaged fonts of ``fonts/``. Its
sections live in partials: ``_capacity.html.j2`` (the capacity plan, with the inline SVG
charts of ``_charts.html.j2``), ``_remediation.html.j2`` and ``_inventory.html.j2``;
``_macros.html.j2`` holds the small shared pieces.
``report.md.j2`` is the ticket-sized Markdown summary. tables.csv, remediation.sql and
remediation-aws.sh are written by Python (``audit/report/tables_csv.py``, ``remediation.py``),
not from templates: their quoting is the point of them.

Branding without a fork: pass a template directory (``--template-dir``); files there replace the
packaged ones of the same name. The small hooks meant for this are ``brand.css`` (included
last, so it can override colours and fonts) and ``_brand.html.j2`` (shown at the top of the
cover: a logo as inline SVG or a ``data:`` image, a firm's name). Reports never fetch anything,
so a logo must be inline.
"""
