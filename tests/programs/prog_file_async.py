"""File (async): File.from_local, then `async with f.open()` and `await fh.read()` in another task."""

import flyte
from flyte.io import File

env = flyte.TaskEnvironment(name="prog_file_async")


@env.task
async def write(text: str) -> File:
    with open("data.txt", "w") as f:
        f.write(text)
    return await File.from_local("data.txt")


@env.task
async def shout(f: File) -> str:
    async with f.open("rb") as fh:
        data = await fh.read()
    return data.decode().upper()


@env.task
async def pipeline(text: str) -> str:
    return await shout(await write(text))


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, text="quiet words").outputs()[0])


if __name__ == "__main__":
    main()
