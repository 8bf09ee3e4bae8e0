"""The official openai Python SDK's AsyncOpenAI as a contender of `scripts/bench --compare`.

The same request as the other contenders of the OpenAI leg: chat.completions.create with the small
chat body against BASE_URL (nginx on loopback answering a fixed chat.completion), max_retries=0, the
whole reply read and parsed. The worker pool and the JSON line are common.py's.

    python openai_async.py BASE_URL CONCURRENCY COUNT SECONDS WARMUP
"""

import asyncio

import common
import openai


async def main():
    base_url = common.arguments()[0]
    client = openai.AsyncOpenAI(base_url=base_url + "/v1", api_key="bench-key", max_retries=0)

    async def call():
        completion = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
        )
        return bool(completion.choices[0].message.content)

    version = f"openai {openai.__version__}, {common.http_library()}"
    await common.measure("openai-python", call, openai.OpenAIError, version)
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
