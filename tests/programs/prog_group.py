"""flyte.group: calls grouped by name; the values are what the calls return."""

import flyte

env = flyte.TaskEnvironment(name="prog_group")


@env.task
def label(kind: str, x: int) -> str:
    return f"{kind}-{x}"


@env.task
def pipeline(n: int) -> list[str]:
    out = []
    with flyte.group("evens"):
        out += [label("even", i) for i in range(0, n, 2)]
    with flyte.group("odds"):
        out += [label("odd", i) for i in range(1, n, 2)]
    return out


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, n=5).outputs()[0])


if __name__ == "__main__":
    main()
