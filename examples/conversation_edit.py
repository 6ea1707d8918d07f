"""A conversation-based edit flow: the service keeps the thread, so no image is ever sent back.

Create a conversation, generate in it, edit twice (each edit continues the conversation: only the new
instruction travels), add a note any later call sees, list what the service holds, branch one version
outside the conversation by response id, and delete the conversation.

Run: python examples/conversation_edit.py
"""

from _target import endpoint_settings

from foundry_imagegen import FoundryClient, ImageGenerationTool

with endpoint_settings() as settings, FoundryClient.from_env(**settings) as client:
    tool = ImageGenerationTool(quality="low", size="1024x1024")
    conversation = client.conversations.create("Posters for a fox-themed cafe", metadata={"project": "cafe"})
    print(f"conversation {conversation.id} {conversation.metadata}")
    try:
        first = client.generate("a poster of a fox drinking coffee", conversation=conversation, tool=tool)
        print(f"generated {first.save('out/poster-1.png', overwrite=True)} in {first.conversation_id}")

        second = client.edit(first, "make the background night blue", tool=tool)
        print(f"edit via {second.edited_via}: {second.save('out/poster-2.png', overwrite=True)}")

        client.conversations.add_items(conversation, "Keep the palette warm.")
        third = client.edit(second, "add warm lantern light in the windows", tool=tool)
        print(f"edit via {third.edited_via}: {third.save('out/poster-3.png', overwrite=True)}")

        # The service holds every turn; stored image calls come back without their bytes (save as you go).
        items = client.conversations.list_items(conversation)
        print("the conversation holds:", ", ".join(item.type for item in items))

        # A variation that should not become part of the thread: continue by response id instead.
        branch = client.edit(second, "the same poster in daylight", tool=tool, via="previous_response_id")
        print(f"branch via {branch.edited_via}: {branch.save('out/poster-daylight.png', overwrite=True)}")

        client.conversations.update(conversation, metadata={"project": "cafe", "status": "done"})
    finally:
        print(f"deleted {client.conversations.delete(conversation).id}")
