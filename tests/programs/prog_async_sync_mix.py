"""An async parent calling sync tasks through .aio and async tasks directly."""

import asyncio

import flyte

env = flyte.TaskEnvironment(name="prog_mix")


@env.task
def double(x: int) -> int:
    return 2 * x


@env.task
async def negate(x: int) -> int:
    return -x


@env.task
async def pipeline(xs: list[int]) -> list[int]:
    doubled = await asyncio.gather(*[double.aio(x) for x in xs])
    return [await negate(d) for d in doubled]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, xs=[1, 2, 3]).outputs()[0])


if __name__ == "__main__":
    main()
