"""Generate one image and save it (sync). Run: python examples/generate_sync.py"""

from _target import endpoint_settings

from foundry_imagegen import ContentFilterError, FoundryClient, ImageGenerationTool

with endpoint_settings() as settings, FoundryClient.from_env(**settings) as client:
    tool = ImageGenerationTool(size="1536x1024", quality="low")
    try:
        result = client.generate("a red fox in fresh snow, morning light", tool=tool)
    except ContentFilterError as exc:
        # moderation_stage says whether the prompt ("input") or the picture ("output") was blocked.
        raise SystemExit(f"blocked by {exc.moderation_stage or 'content'} moderation: {exc.hint}") from exc
    path = result.save("out/fox.png", overwrite=True)
    print(f"saved {path} ({result.image.width}x{result.image.height}); revised prompt: {result.revised_prompt}")
    usage = result.image_usage  # the image model's tokens, billed apart from result.usage (the orchestrator's)
    print(f"image tokens: {usage.total_tokens if usage else 'not reported'}")
