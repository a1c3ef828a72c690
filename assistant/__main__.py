"""`python -m assistant`: the same command line as the `assistant` script."""

from .cli import main

if __name__ == "__main__":
    main()
