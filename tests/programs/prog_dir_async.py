"""Dir (async): Dir.from_local, `async for f in d.walk()`, and File.download."""

import os

import flyte
from flyte.io import Dir

env = flyte.TaskEnvironment(name="prog_dir_async")


@env.task
async def make(words: list[str]) -> Dir:
    os.makedirs("words", exist_ok=True)
    for w in words:
        with open(f"words/{w}.txt", "w") as f:
            f.write(w)
    return await Dir.from_local("words")


@env.task
async def read_all(d: Dir) -> list[str]:
    out = []
    async for f in d.walk():
        path = await f.download()
        with open(path) as fh:
            out.append(fh.read())
    return sorted(out)


@env.task
async def pipeline(words: list[str]) -> list[str]:
    return await read_all(await make(words))


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, words=["b", "a", "c"]).outputs()[0])


if __name__ == "__main__":
    main()
