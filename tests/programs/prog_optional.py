"""Typed IO: Optional inputs and outputs, with defaults."""

from typing import Optional

import flyte

env = flyte.TaskEnvironment(name="prog_optional")


@env.task
def find(words: list[str], prefix: Optional[str] = None) -> Optional[str]:
    if prefix is None:
        return None
    return next((w for w in words if w.startswith(prefix)), None)


@env.task
def pipeline(words: list[str]) -> list[Optional[str]]:
    return [find(words), find(words, "fl"), find(words, "zz")]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, words=["task", "flyte"]).outputs()[0])


if __name__ == "__main__":
    main()
