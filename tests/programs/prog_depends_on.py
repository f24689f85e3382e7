"""Several environments: a driver environment depends on two worker environments."""

import flyte

cpu = flyte.TaskEnvironment(name="prog_dep_cpu", resources=flyte.Resources(cpu=1))
mem = flyte.TaskEnvironment(name="prog_dep_mem", resources=flyte.Resources(memory="256Mi"))
driver = flyte.TaskEnvironment(name="prog_dep_driver", depends_on=[cpu, mem])


@cpu.task
def count(text: str) -> int:
    return len(text.split())


@mem.task
def longest(text: str) -> str:
    return max(text.split(), key=len)


@driver.task
def pipeline(text: str) -> dict[str, str]:
    return {"words": str(count(text)), "longest": longest(text)}


def main() -> None:
    flyte.init()
    print(sorted(flyte.run(pipeline, text="flyte runs tasks everywhere").outputs()[0].items()))


if __name__ == "__main__":
    main()
