"""The agent-first workflow end to end: create an agent holding the image tool, generate through it,
edit twice (once continuing the stored response, once resending the image with a mask), save, delete.

Run: python examples/agent_edit_flow.py
"""

import io

from _target import endpoint_settings

from foundry_imagegen import FoundryClient, ImageGenerationTool


def chimney_mask(width: int, height: int) -> bytes:
    """An RGBA PNG, opaque except a transparent square (the area the edit may change)."""
    from PIL import Image  # optional dependency (pip install 'foundry-imagegen[pillow]')

    mask = Image.new("RGBA", (width, height), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (width // 2, height // 8, width * 3 // 4, height // 2))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


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
