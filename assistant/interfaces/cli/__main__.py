"""`python -m assistant.interfaces.cli`: the `assistant` command."""

from . import main

main()
