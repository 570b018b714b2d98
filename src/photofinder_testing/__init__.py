"""Test support shared by tests/ and benchmarks/: never shipped.

The wheel leaves this package out (pyproject's package list) and no module of
``photofinder`` imports it, so a bundle never carries it. It lives under src/
rather than tests/ so the benchmarks import it like any package, and the
editable install that tests run from puts src/ on the path.
"""
