"""The console: the web pages people use (leaders, operators, stewards, clerks, auditors,
citizens), served by the application itself, in Vietnamese by default and in English.

Server-rendered (Jinja2) with small progressive enhancement (htmx, ECharts, both vendored in
``static/vendor``); signed in through the people's sign-in session; every page authorised by
the roles' permissions (http/permissions.py), deny by default.
"""
