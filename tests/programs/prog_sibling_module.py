"""A sibling module imported as a module (`import shared_helpers as h`): its task and helper work in a task."""

import flyte
import shared_helpers as h

env = flyte.TaskEnvironment(name="prog_sibling", depends_on=[h.env])


@env.task
def pipeline(text: str) -> list[str]:
    return [h.normalize(text), h.child(text)]


def main() -> None:
    flyte.init()
    print(flyte.run(pipeline, text="  Hello   World ").outputs()[0])


if __name__ == "__main__":
    main()
