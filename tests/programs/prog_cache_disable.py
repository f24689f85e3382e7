"""Cache off: cache="disable" (and an override to it) runs every call."""

import random

import flyte

env = flyte.TaskEnvironment(name="prog_cache_off", cache="auto")


@env.task(cache="disable")
def draw(tag: str) -> float:
    return random.random()


@env.task
def pipeline(tag: str) -> list[bool]:
    return [draw(tag) == draw(tag)]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, tag="t").outputs()[0])


if __name__ == "__main__":
    main()
