"""Reusable environments: tasks of an environment with a ReusePolicy, called many times."""

import asyncio

import flyte

env = flyte.TaskEnvironment(name="prog_reusable", reusable=flyte.ReusePolicy(replicas=2, idle_ttl=60))
driver = flyte.TaskEnvironment(name="prog_reusable_driver", depends_on=[env])


@env.task
async def score(x: int) -> int:
    return x * 10 + 1


@driver.task
async def pipeline(n: int) -> list[int]:
    return list(await asyncio.gather(*[score(i) for i in range(n)]))


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, n=4).outputs()[0])


if __name__ == "__main__":
    main()
