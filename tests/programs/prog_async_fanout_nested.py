"""Two levels of async fan-out: each parent gathers children that gather grandchildren."""

import asyncio

import flyte

env = flyte.TaskEnvironment(name="prog_nested_fanout")


@env.task
async def leaf(i: int, j: int) -> int:
    return i * 10 + j


@env.task
async def branch(i: int) -> list[int]:
    return list(await asyncio.gather(*[leaf(i, j) for j in range(2)]))


@env.task
async def pipeline(n: int) -> list[list[int]]:
    return list(await asyncio.gather(*[branch(i) for i in range(n)]))


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, n=3).outputs()[0])


if __name__ == "__main__":
    main()
