"""``python -m waymark.cli``: how ``waymark run`` starts each service in its own process."""

from waymark.cli import main

main()
