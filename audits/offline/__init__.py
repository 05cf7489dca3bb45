"""The offline verifier (verify_export.py) is a standalone file shipped with every export; see its docstring."""
