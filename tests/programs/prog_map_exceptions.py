"""flyte.map(return_exceptions=True): a failing item comes back as an exception, the others as values."""

import flyte

env = flyte.TaskEnvironment(name="prog_map_exc")


@env.task
def checked_sqrt(x: int) -> float:
    if x < 0:
        raise ValueError(f"negative: {x}")
    return x ** 0.5


@env.task
def pipeline(xs: list[int]) -> list[str]:
    out = []
    for r in flyte.map(checked_sqrt, xs, return_exceptions=True):
        out.append("error" if isinstance(r, Exception) else f"{r:.1f}")
    return out


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, xs=[4, -1, 9]).outputs()[0])


if __name__ == "__main__":
    main()
