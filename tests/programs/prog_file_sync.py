"""File (sync): one task writes a File, another reads it back."""

import flyte
from flyte.io import File

env = flyte.TaskEnvironment(name="prog_file_sync")


@env.task
def write(lines: list[str]) -> File:
    with open("notes.txt", "w") as f:
        f.write("\n".join(lines))
    return File.from_local_sync("notes.txt")


@env.task
def count_lines(f: File) -> int:
    with f.open_sync("rb") as fh:
        return len(fh.read().decode().splitlines())


@env.task
def pipeline(lines: list[str]) -> int:
    return count_lines(write(lines))


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, lines=["a", "b", "c"]).outputs()[0])


if __name__ == "__main__":
    main()
