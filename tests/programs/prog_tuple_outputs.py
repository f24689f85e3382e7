"""Several outputs: a task returning a tuple; run.outputs() gives its items."""

import flyte

env = flyte.TaskEnvironment(name="prog_tuple")


@env.task
def stats(xs: list[float]) -> tuple[float, float, int]:
    return min(xs), max(xs), len(xs)


def main() -> None:
    flyte.init()
    low, high, n = flyte.run(stats, xs=[3.0, 1.0, 2.0]).outputs()
    print(low, high, n)


if __name__ == "__main__":
    main()
