"""The sans-I/O core: pure functions and small state machines, no sockets, disk, clock or threads.

``tests/test_layering.py`` holds every module here to that by reading its imports.
"""
