"""flyte.map: one child task per item, results in input order."""

import flyte

env = flyte.TaskEnvironment(name="prog_map")


@env.task
def cube(x: int) -> int:
    return x ** 3


@env.task
def pipeline(xs: list[int]) -> list[int]:
    return list(flyte.map(cube, xs))


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, xs=[1, 2, 3, 4]).outputs()[0])


if __name__ == "__main__":
    main()
