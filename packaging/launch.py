"""The bundled program's entry point: ``photofinder`` exactly as the installed command.

``freeze_support`` lets the frozen program serve as its own child process: the
window surveys big libraries in a spawned child (indexing/survey.py).
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from photofinder.cli import main

    raise SystemExit(main())
