"""Dir (sync): one task writes a folder of files, another walks it."""

import os

import flyte
from flyte.io import Dir

env = flyte.TaskEnvironment(name="prog_dir_sync")


@env.task
def make(n: int) -> Dir:
    os.makedirs("parts", exist_ok=True)
    for i in range(n):
        with open(f"parts/part{i}.txt", "w") as f:
            f.write("x" * (i + 1))
    return Dir.from_local_sync("parts")


@env.task
def sizes(d: Dir) -> list[int]:
    out = []
    for f in d.walk_sync():
        with f.open_sync("rb") as fh:
            out.append(len(fh.read()))
    return sorted(out)


@env.task
def pipeline(n: int) -> list[int]:
    return sizes(make(n))


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, n=3).outputs()[0])


if __name__ == "__main__":
    main()
