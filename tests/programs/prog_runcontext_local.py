"""with_runcontext(mode="local").run(...), with positional and keyword inputs and a default."""

import flyte

env = flyte.TaskEnvironment(name="prog_runctx")


@env.task
def scale(values: list[float], factor: float = 2.0) -> list[float]:
    return [v * factor for v in values]


def main() -> None:
    flyte.init()
    ctx = flyte.with_runcontext(mode="local")
    print(ctx.run(scale, [1.0, 2.5]).outputs()[0], ctx.run(scale, values=[1.0], factor=0.5).outputs()[0])


if __name__ == "__main__":
    main()
