"""Generate three images concurrently (async). Run: python examples/generate_async.py"""

import asyncio

from _target import endpoint_settings

from foundry_imagegen import AsyncFoundryClient, ImageGenerationTool

PROMPTS = ["a lighthouse at dusk", "a koi pond, ukiyo-e", "a city skyline in fog"]


async def main() -> None:
    with endpoint_settings() as settings:
        async with AsyncFoundryClient.from_env(**settings) as client:
            tool = ImageGenerationTool(quality="low")
            results = await asyncio.gather(*(client.generate(prompt, tool=tool) for prompt in PROMPTS))
            for index, result in enumerate(results):
                print(f"saved {result.save(f'out/async-{index}.png', overwrite=True)}")


asyncio.run(main())
