"""The sync shell: generated from ``_shell/_async`` by scripts/unasync.py, except ``_backend``."""
