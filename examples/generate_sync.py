"""Generate one image and save it (sync). Run: python examples/generate_sync.py"""

from _target import endpoint_settings

from foundry_imagegen import ContentFilterError, FoundryClient, ImageGenerationTool

with endpoint_settings() as settings, FoundryClient.from_env(**settings) as client:
    tool = ImageGenerationTool(size="1536x1024", quality="low")
    try:
        result = client.generate("a red fox in fresh snow, morning light", tool=tool)
    except ContentFilterError as exc:
        raise SystemExit(f"blocked by content filtering: {exc.hint}") from exc
    path = result.save("out/fox.png", overwrite=True)
    print(f"saved {path} ({result.image.width}x{result.image.height}); revised prompt: {result.revised_prompt}")
