"""From async code: `await flyte.run.aio(task, ...)` inside asyncio.run."""

import asyncio

import flyte

env = flyte.TaskEnvironment(name="prog_run_aio")


@env.task
async def words(text: str) -> list[str]:
    return text.split()


async def amain() -> None:
    run = await flyte.run.aio(words, text="async from the top")
    print(run.outputs()[0])


def main() -> None:
    flyte.init()
    asyncio.run(amain())


if __name__ == "__main__":
    main()
