"""Typed IO: a dataclass in, a nested dataclass out."""

from dataclasses import dataclass, field

import flyte

env = flyte.TaskEnvironment(name="prog_dataclass")


@dataclass
class Point:
    x: float
    y: float


@dataclass
class Box:
    low: Point
    high: Point
    tags: list[str] = field(default_factory=list)


@env.task
def bounding_box(points: list[Point]) -> Box:
    xs, ys = [p.x for p in points], [p.y for p in points]
    return Box(Point(min(xs), min(ys)), Point(max(xs), max(ys)), tags=["computed"])


def main() -> None:
    flyte.init()
    box = flyte.run(bounding_box, points=[Point(1, 5), Point(-2, 3), Point(4, 0)]).outputs()[0]
    print(type(box).__name__, box.low.x, box.low.y, box.high.x, box.high.y, box.tags)


if __name__ == "__main__":
    main()
