"""Async fan-out with asyncio.gather: a parent task awaits many child tasks at once."""

import asyncio

import flyte

env = flyte.TaskEnvironment(name="prog_gather")


@env.task
async def square(x: int) -> int:
    return x * x


@env.task
async def pipeline(n: int) -> int:
    squares = await asyncio.gather(*[square(i) for i in range(n)])
    return sum(squares)


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, n=5).outputs()[0])


if __name__ == "__main__":
    main()
