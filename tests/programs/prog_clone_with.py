"""clone_with: a second environment from the first, its tasks run like the original's."""

import flyte

base = flyte.TaskEnvironment(name="prog_clone_base", env_vars={"STAGE": "base"})
bigger = base.clone_with(name="prog_clone_big", resources=flyte.Resources(memory="256Mi"))


@base.task
def small(x: int) -> int:
    return x + 1


@bigger.task
def large(x: int) -> int:
    return small(x) * 1000


def main() -> None:
    flyte.init()
    print(flyte.run(large, x=1).outputs()[0], bigger.name)


if __name__ == "__main__":
    main()
