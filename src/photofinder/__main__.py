"""``python -m photofinder`` behaves exactly like the ``photofinder`` command."""

from photofinder.cli import main

raise SystemExit(main())
