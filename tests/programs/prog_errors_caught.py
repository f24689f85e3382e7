"""A child task's error reaches the parent as an exception it can catch, with the child's message."""

import flyte

env = flyte.TaskEnvironment(name="prog_errors")


@env.task
def parse(text: str) -> int:
    return int(text)


@env.task
def pipeline(texts: list[str]) -> list[str]:
    out = []
    for t in texts:
        try:
            out.append(str(parse(t)))
        except Exception as error:
            out.append("bad: " + ("invalid literal" in str(error)) * "invalid literal")
    return out


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, texts=["1", "x", "3"]).outputs()[0])


if __name__ == "__main__":
    main()
