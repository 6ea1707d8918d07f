"""Stream a generation and save each partial render as it arrives. Run: python examples/stream_partials.py"""

from _target import endpoint_settings

from foundry_imagegen import FoundryClient, ImageGenerationTool

with endpoint_settings() as settings, FoundryClient.from_env(**settings) as client:
    tool = ImageGenerationTool(partial_images=3, quality="medium")
    with client.stream("a hot-air balloon over a canyon", tool=tool) as stream:
        for image in stream.images():
            if image.is_partial:
                print(f"partial {image.partial_index}: {len(image.data)} bytes")
                image.save(f"out/balloon.partial-{image.partial_index}.png", overwrite=True)
        result = stream.final()
    print(f"final: {result.save('out/balloon.png', overwrite=True)} after {stream.events_seen} events")
