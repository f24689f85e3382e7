"""flyte.trace: an async helper traced inside a task; the task returns what the helpers computed."""

import flyte

env = flyte.TaskEnvironment(name="prog_trace")


@flyte.trace
async def tokenize(text: str) -> list[str]:
    return text.lower().split()


@flyte.trace
async def count(words: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts


@env.task
async def pipeline(text: str) -> dict[str, int]:
    return await count(await tokenize(text))


def main() -> None:
    flyte.init()
    print(sorted(flyte.run(pipeline, text="a rose is a rose").outputs()[0].items()))


if __name__ == "__main__":
    main()
