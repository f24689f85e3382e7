"""flyte.map over two argument lists with a concurrency limit and a group name."""

import flyte

env = flyte.TaskEnvironment(name="prog_map_conc")


@env.task
def add(a: int, b: int) -> int:
    return a + b


@env.task
def pipeline() -> list[int]:
    return list(flyte.map(add, [1, 2, 3], [10, 20, 30], concurrency=2, group_name="adds"))


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline).outputs()[0])


if __name__ == "__main__":
    main()
