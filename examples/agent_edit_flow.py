"""The agent-first workflow end to end: create an agent holding the image tool, generate through it,
edit twice (once continuing the stored response, once resending the image with a mask), save, delete.

Run: python examples/agent_edit_flow.py
"""

import struct
import zlib

from _target import endpoint_settings

from foundry_imagegen import FoundryClient, ImageGenerationTool


def chimney_mask(width: int, height: int) -> bytes:
    """An RGBA PNG, opaque except a transparent rectangle (the area the edit may change).

    Written with the standard library so the example runs without Pillow.
    """
    left, right, top, bottom = width // 2, width * 3 // 4, height // 8, height // 2
    opaque, clear = b"\x00\x00\x00\xff", b"\x00\x00\x00\x00"
    rows = bytearray()
    for y in range(height):
        if top <= y < bottom:
            rows += b"\x00" + opaque * left + clear * (right - left) + opaque * (width - right)
        else:
            rows += b"\x00" + opaque * width

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    pixels = zlib.compress(bytes(rows))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


with endpoint_settings() as settings, FoundryClient.from_env(**settings) as client:
    tool = ImageGenerationTool(quality="low", size="1024x1024")
    with client.agents.ephemeral(
        model=client.model, tool=tool, instructions="You draw cosy storybook illustrations."
    ) as agent:
        print(f"agent {agent.name} version {agent.version} created")
        first = client.generate("a cottage in a meadow", agent=agent, store=True)
        print(f"generated {first.save('out/cottage-1.png', overwrite=True)} (response {first.id})")

        second = client.edit(first, "make it winter, with snow on the roof", agent=agent)
        print(f"edit 1 via {second.edited_via}: {second.save('out/cottage-2.png', overwrite=True)}")

        image = second.image
        third = client.edit(
            image, "add smoke rising from the chimney", mask=chimney_mask(image.width or 1024, image.height or 1024)
        )
        print(f"edit 2 via {third.edited_via}: {third.save('out/cottage-3.png', overwrite=True)}")
    print(f"agent {agent.name} deleted")
