"""Queues: an environment's queue and a decorator queue; the calls still return their values."""

import flyte

env = flyte.TaskEnvironment(name="prog_queues", queue="default")


@env.task(queue="small")
def inc(x: int) -> int:
    return x + 1


@env.task
def pipeline(xs: list[int]) -> list[int]:
    return [inc.override(queue="other")(x) if x % 2 else inc(x) for x in xs]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, xs=[1, 2, 3]).outputs()[0])


if __name__ == "__main__":
    main()
