"""Basics: one environment, a task calling another, run from a script with flyte.init() + flyte.run()."""

import flyte

env = flyte.TaskEnvironment(name="prog_hello")


@env.task
def greet(name: str) -> str:
    return f"hello {name}"


@env.task
def pipeline(names: list[str]) -> list[str]:
    return [greet(n) for n in names]


def main() -> None:
    flyte.init()
    run = flyte.run(pipeline, names=["ann", "bob"])
    print(run.outputs()[0])


if __name__ == "__main__":
    main()
