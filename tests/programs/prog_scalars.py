"""Typed IO: the scalar types (int, float, str, bool) and datetime/timedelta."""

from datetime import datetime, timedelta

import flyte

env = flyte.TaskEnvironment(name="prog_scalars")


@env.task
def describe(n: int, x: float, s: str, flag: bool) -> str:
    return f"{n + 1} {x / 2} {s.upper()} {not flag}"


@env.task
def later(when: datetime, by: timedelta) -> datetime:
    return when + by


def main() -> None:
    flyte.init()
    print(flyte.run(describe, n=1, x=3.0, s="ok", flag=True).outputs()[0])
    print(flyte.run(later, when=datetime(2026, 1, 1, 12, 0), by=timedelta(hours=36)).outputs()[0].isoformat())


if __name__ == "__main__":
    main()
