"""Caching with versions: the same version answers from cache, a new version_override runs again."""

import random

import flyte

env = flyte.TaskEnvironment(name="prog_cache")


@env.task(cache=flyte.Cache(behavior="auto", version_override="v1"))
def draw(seed_name: str) -> float:
    return random.random()


@env.task
def pipeline(name: str) -> list[bool]:
    first = draw(name)
    again = draw(name)
    bumped = draw.override(cache=flyte.Cache(behavior="auto", version_override="v2-" + str(random.random())))(name)
    return [first == again, first == bumped]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, name="prog-cache-" + str(random.random())).outputs()[0])


if __name__ == "__main__":
    main()
