"""``python -m cli``: the same as the ``newsrag`` command."""

from cli import main

main()
