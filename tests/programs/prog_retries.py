"""retries: a task that always fails is retried, then its error reaches the caller, who recovers."""

import flyte

env = flyte.TaskEnvironment(name="prog_retries")


@env.task(retries=flyte.RetryStrategy(count=2))
def always_fails(x: int) -> int:
    raise RuntimeError(f"cannot handle {x}")


@env.task(retries=1)
def works(x: int) -> int:
    return x + 1


@env.task
def pipeline(x: int) -> str:
    try:
        always_fails(x)
        return "unexpected"
    except Exception:
        return f"recovered with {works(x)}"


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, x=41).outputs()[0])


if __name__ == "__main__":
    main()
