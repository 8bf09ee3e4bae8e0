"""The official anthropic Python SDK's AsyncAnthropic as a contender of `scripts/bench --compare`.

The Anthropic leg's request: messages.create(model="claude-haiku-4-5", max_tokens=64, one user
message "Hello") against BASE_URL (nginx on loopback answering POST /v1/messages with a fixed
Anthropic `message`), max_retries=0, the whole reply read and parsed. The worker pool and the JSON
line are common.py's.

    python anthropic_async.py BASE_URL CONCURRENCY COUNT SECONDS WARMUP
"""

import asyncio

import anthropic
import common


async def main():
    base_url = common.arguments()[0]
    client = anthropic.AsyncAnthropic(base_url=base_url, api_key="bench-key", max_retries=0)

    async def call():
        message = await client.messages.create(
            model="claude-haiku-4-5", max_tokens=64, messages=[{"role": "user", "content": "Hello"}]
        )
        return bool(message.content and message.content[0].text)

    version = f"anthropic {anthropic.__version__}, {common.http_library()}"
    await common.measure("anthropic-python", call, anthropic.AnthropicError, version)
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
