"""``python -m blockcheck …``: the same command line as the ``blockcheck`` console script."""

from blockcheck.cli import main

main()
