"""Timeouts that a task finishes within: an int, a timedelta and a Timeout(max_runtime=...)."""

from datetime import timedelta

import flyte

env = flyte.TaskEnvironment(name="prog_timeout")


@env.task(timeout=60)
def quick(x: int) -> int:
    return x * 2


@env.task(timeout=timedelta(minutes=1))
def quicker(x: int) -> int:
    return x * 3


@env.task(timeout=flyte.Timeout(max_runtime=timedelta(seconds=90)))
def pipeline(x: int) -> list[int]:
    return [quick(x), quicker(x)]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, x=7).outputs()[0])


if __name__ == "__main__":
    main()
