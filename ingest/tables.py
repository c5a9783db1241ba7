"""How the keeper's command line draws its reports, readable anywhere.

On a terminal, tables fill its width; a URL column never wraps (a URL cut across lines cannot be clicked or
copied): it is cut with "…", while titles and reasons wrap inside their column. Off a terminal (piped into
`tee`, a log, CI) tables are drawn 80 columns wide (`COLUMNS` overrides), and every list of URLs is printed as
plain lines instead, one item a line with its full URL, so that logs can be searched and links copied.
"""
from __future__ import annotations

from rich.console import Console
from rich.table import Table


def console(**kw) -> Console:
    return Console(**kw)


def plain(out: Console) -> bool:
    """Whether to print URL lists as plain lines (off a terminal)."""
    return not out.is_terminal


def table(title: str | None = None) -> Table:
    return Table(title=title, title_justify="left")


def url_column(t: Table, name: str = "url") -> None:
    """A column for URLs: one line each, cut with '…' when the table is too narrow."""
    t.add_column(name, overflow="ellipsis", min_width=20)


def text_column(t: Table, name: str) -> None:
    """A column for titles and reasons: wrapped inside the column."""
    t.add_column(name, overflow="fold", min_width=10)


def print_lines(out: Console, lines: list[str]) -> None:
    """Plain lines, never wrapped or cut (a URL stays whole however long it is)."""
    for line in lines:
        out.print(line, soft_wrap=True, markup=False, highlight=False)
