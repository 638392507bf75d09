"""Kinds that exist only in the tests: examples of adding a kind by one folder and one line of configuration."""
