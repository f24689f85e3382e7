"""Word statistics in two environments; written against the flyte SDK's API."""

import asyncio
from datetime import timedelta

import flyte

base = flyte.TaskEnvironment(
    name="sdk_base",
    image=flyte.Image.from_debian_base(python_version=(3, 11)).with_env_vars({"PIPELINE": "sdk"}),
    resources=flyte.Resources(cpu=1, memory="256Mi"),
    env_vars={"GREETING": "hello"},
)
driver = flyte.TaskEnvironment(name="sdk_driver", depends_on=[base], cache="disable")


def normalize(word: str) -> str:
    return word.strip().lower()


@base.task(retries=flyte.RetryStrategy(count=1, backoff=flyte.Backoff(base=timedelta(seconds=1))),
           docs=flyte.Documentation(description="Length of one word."))
async def word_length(word: str) -> int:
    return len(normalize(word))


@base.task(timeout=timedelta(minutes=2))
def where() -> dict:
    """Where the task runs: flyte_nb's container has the image's and the environment's variables."""
    import os
    return {"pipeline": os.environ.get("PIPELINE"), "greeting": os.environ.get("GREETING"), "pid": os.getpid()}


@driver.task(report=True)
async def stats(words: list[str]) -> dict:
    with flyte.group("lengths"):
        lengths = await asyncio.gather(*(word_length(w) for w in words))
    longest = await word_length.override(retries=0)(max(words, key=len))
    await flyte.report.log.aio(f"<p>{len(words)} words</p>", do_flush=True)
    return {"total": sum(lengths), "longest": longest, "count": len(words)}


if __name__ == "__main__":
    flyte.init_from_config()
    run = flyte.with_runcontext(mode="local").run(stats, words=["Flyte", "runs", "anywhere"])
    print(run.outputs())
