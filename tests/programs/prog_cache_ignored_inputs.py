"""Cache(ignored_inputs=...): calls that differ only in an ignored input answer from the same cache entry."""

import random

import flyte

env = flyte.TaskEnvironment(name="prog_cache_ignored")


@env.task(cache=flyte.Cache(behavior="auto", version_override="v1", ignored_inputs=("note",)))
def draw(key: str, note: str) -> float:
    return random.random()


@env.task
def pipeline(key: str) -> list[bool]:
    return [draw(key, "first") == draw(key, "second"), draw(key, "x") == draw(key + "-other", "x")]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, key="k-" + str(random.random())).outputs()[0])


if __name__ == "__main__":
    main()
