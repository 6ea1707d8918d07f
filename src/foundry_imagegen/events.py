"""Typed stream events, for ``isinstance`` checks while iterating ``client.stream(...)``.

Example::

    from foundry_imagegen.events import PartialImageEvent

    with client.stream("a fox") as stream:
        for event in stream:
            if isinstance(event, PartialImageEvent):
                print("partial", event.partial_image_index)
"""

from ._core import events as _events
from ._core.events import *  # noqa: F403

__all__ = list(_events.__all__)

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
