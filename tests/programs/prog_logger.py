"""flyte.logger inside tasks and flyte.ctx() type checks; the values returned are the program's output."""

import flyte

env = flyte.TaskEnvironment(name="prog_logger")


@env.task
def step(x: int) -> int:
    flyte.logger.info("step %d", x)
    return x + 100


@env.task
def pipeline(xs: list[int]) -> list[int]:
    flyte.logger.warning("pipeline of %d", len(xs))
    in_task = flyte.ctx() is not None
    return [step(x) for x in xs] + [int(in_task)]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, xs=[1, 2]).outputs()[0])


if __name__ == "__main__":
    main()
