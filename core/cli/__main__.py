"""`python -m payvand.core.cli`: the same as the `payvand` command."""

from payvand.core.cli import main

main()
