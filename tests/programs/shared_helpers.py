"""A sibling module that prog_sibling_module imports: its tasks and plain helpers travel with the caller."""

import flyte

env = flyte.TaskEnvironment(name="prog_helpers")


def normalize(text: str) -> str:
    return " ".join(text.split()).lower()


@env.task
def child(text: str) -> str:
    return normalize(text)[::-1]
