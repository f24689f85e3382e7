"""Catch flyte.errors.OOMError and call the task again with more memory (override(resources=...))."""

import flyte
import flyte.errors

env = flyte.TaskEnvironment(name="prog_oom", resources=flyte.Resources(memory="64Mi"))


@env.task
def allocate(mb: int) -> int:
    block = bytearray(mb * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])
    return len(block) // (1024 * 1024)


@env.task
def pipeline(mb: int) -> int:
    try:
        return allocate(mb)
    except flyte.errors.OOMError:
        return allocate.override(resources=flyte.Resources(memory="512Mi"))(mb)


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, mb=160).outputs()[0])


if __name__ == "__main__":
    main()
