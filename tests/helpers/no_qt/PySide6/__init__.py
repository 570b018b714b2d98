"""Stands in for PySide6 in CI's headless pass (PYTHONPATH=tests/helpers/no_qt): importing it
fails as on a machine without Qt, in pytest and in every process a test starts."""

raise ModuleNotFoundError("No module named 'PySide6' (hidden by CI's headless pass)", name="PySide6")
