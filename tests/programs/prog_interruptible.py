"""interruptible and docs settings at each level; they change where tasks may run, not what they return."""

import flyte

env = flyte.TaskEnvironment(name="prog_interruptible", interruptible=True, description="spot-friendly work")


@env.task(interruptible=False, docs="Sums a list.")
def total(xs: list[int]) -> int:
    return sum(xs)


@env.task
def pipeline(xs: list[int]) -> list[int]:
    return [total(xs), total.override(interruptible=True)(xs[:1])]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, xs=[5, 6]).outputs()[0])


if __name__ == "__main__":
    main()
