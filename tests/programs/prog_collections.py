"""Typed IO: nested lists and dicts."""

import flyte

env = flyte.TaskEnvironment(name="prog_collections")


@env.task
def invert(index: dict[str, list[int]]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for word, pages in index.items():
        for p in pages:
            out.setdefault(p, []).append(word)
    return out


@env.task
def pipeline(index: dict[str, list[int]]) -> list[list[str]]:
    inverted = invert(index)
    return [sorted(inverted[p]) for p in sorted(inverted)]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, index={"flyte": [1, 2], "task": [2, 3]}).outputs()[0])


if __name__ == "__main__":
    main()
