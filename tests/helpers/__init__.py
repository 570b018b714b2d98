"""Helpers used only by the tests (the tests and benchmarks share photofinder_testing)."""
