"""LiteLLM's acompletion as a contender of `scripts/bench --compare`, the way LiteLLM users call it:
litellm.acompletion(model="openai/gpt-4o-mini", api_base=BASE_URL/v1, ...) with the OpenAI leg's
small chat body, against nginx on loopback answering a fixed chat.completion; max_retries=0, the
reply parsed into LiteLLM's ModelResponse. The worker pool and the JSON line are common.py's.

Runs from its own venv (.build-python-bench, Benchmarks/compare/requirements.txt). Nothing leaves
loopback: the model cost map is the copy inside the package (LITELLM_LOCAL_MODEL_COST_MAP, set before
the import) and telemetry is off. LiteLLM may print warnings on standard error; the JSON line goes to
standard output.

    python litellm_async.py BASE_URL CONCURRENCY COUNT SECONDS WARMUP
"""

import asyncio
import importlib.metadata
import os

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("LITELLM_TELEMETRY", "False")

import common  # noqa: E402
import litellm  # noqa: E402

litellm.telemetry = False
litellm.suppress_debug_info = True


async def main():
    api_base = common.arguments()[0] + "/v1"

    async def call():
        response = await litellm.acompletion(
            model="openai/gpt-4o-mini",
            messages=[{"role": "user", "content": "Hello"}],
            api_base=api_base,
            api_key="bench-key",
            max_retries=0,
        )
        return bool(response.choices[0].message.content)

    version = f"litellm {importlib.metadata.version('litellm')}, openai {importlib.metadata.version('openai')}"
    await common.measure("litellm", call, Exception, version)


if __name__ == "__main__":
    asyncio.run(main())
