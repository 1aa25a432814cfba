"""click: a command group with options and arguments, invoked with arguments and with a bad option."""

import click

LIBRARY = "click"


@click.group()
@click.option("--verbose", "-v", count=True)
@click.pass_context
def cli(ctx, verbose):
    ctx.obj = {"verbose": verbose}


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--greeting", default="hello", show_default=True)
@click.pass_obj
def greet(obj, names, greeting):
    return [f"{greeting} {name}" * (obj["verbose"] or 1) for name in names]


def main():
    result = cli.main(["-vv", "greet", "--greeting", "hi", "ann", "bob"], standalone_mode=False)
    try:
        cli.main(["greet", "--colour"], standalone_mode=False)
    except click.UsageError as error:
        result.append(error.format_message())
    return result
