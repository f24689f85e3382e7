"""Typed IO: a Literal input and a TypedDict output."""

from typing import Literal, TypedDict

import flyte

env = flyte.TaskEnvironment(name="prog_literal")


class Summary(TypedDict):
    mode: str
    count: int


@env.task
def summarize(xs: list[int], mode: Literal["sum", "max"] = "sum") -> Summary:
    return {"mode": mode, "count": sum(xs) if mode == "sum" else max(xs)}


def main() -> None:
    flyte.init()
    print(sorted(flyte.run(summarize, xs=[1, 5, 2], mode="max").outputs()[0].items()))


if __name__ == "__main__":
    main()
