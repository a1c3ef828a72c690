"""`python -m assistant`: the same command line as the `assistant` script."""

from .interfaces.cli import main

if __name__ == "__main__":
    main()
