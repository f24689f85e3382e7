"""Typed IO: an Enum in and out."""

from enum import Enum

import flyte

env = flyte.TaskEnvironment(name="prog_enum")


class Color(Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


@env.task
def complement(c: Color) -> Color:
    return {Color.RED: Color.GREEN, Color.GREEN: Color.RED, Color.BLUE: Color.BLUE}[c]


@env.task
def pipeline(colors: list[Color]) -> list[Color]:
    return [complement(c) for c in colors]


def main() -> None:
    flyte.init()
    out = flyte.run(pipeline, colors=[Color.RED, Color.BLUE]).outputs()[0]
    print([c.value for c in out], type(out[0]).__name__)


if __name__ == "__main__":
    main()
