"""Custom context: with_runcontext(custom_context=...) is readable in tasks via flyte.get_custom_context()."""

import flyte

env = flyte.TaskEnvironment(name="prog_custom_ctx")


@env.task
def child() -> str:
    return flyte.get_custom_context().get("team", "none")


@env.task
def pipeline() -> list[str]:
    return [flyte.get_custom_context().get("team", "none"), child()]


def main() -> None:
    flyte.init()
    run = flyte.with_runcontext(mode="local", custom_context={"team": "ml"}).run(pipeline)
    print(run.outputs()[0])


if __name__ == "__main__":
    main()
