"""override(resources=..., retries=..., timeout=...) per call; the values are unchanged by it."""

import flyte

env = flyte.TaskEnvironment(name="prog_override", resources=flyte.Resources(cpu=1, memory="128Mi"))


@env.task
def work(x: int) -> int:
    return x * x


@env.task
def pipeline(xs: list[int]) -> list[int]:
    sizes = ["128Mi", "256Mi"]
    return [work.override(resources=flyte.Resources(cpu=1, memory=sizes[i % 2]), retries=1, timeout=60)(x)
            for i, x in enumerate(xs)]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, xs=[2, 3, 4]).outputs()[0])


if __name__ == "__main__":
    main()
