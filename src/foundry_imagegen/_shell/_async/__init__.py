"""The async shell: the hand-written source that scripts/unasync.py turns into ``_shell/_sync``."""
