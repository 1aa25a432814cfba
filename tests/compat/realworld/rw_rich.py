"""rich: markup, a table and a panel rendered to a string console without colours."""

import io

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

LIBRARY = "rich"


def main():
    console = Console(file=io.StringIO(), width=50, color_system=None, force_terminal=False, legacy_windows=False)
    table = Table(title="Fruit")
    table.add_column("name")
    table.add_column("count", justify="right")
    table.add_row("apple", "3")
    table.add_row("[bold]pear[/bold]", "12")
    console.print(table)
    console.print(Panel("hello [i]world[/i]", title="greeting"))
    return console.file.getvalue()
