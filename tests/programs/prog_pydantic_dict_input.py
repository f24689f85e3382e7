"""flyte.run given a plain dict for a pydantic-model input and a dataclass input: both are coerced."""

from dataclasses import dataclass

import flyte
from pydantic import BaseModel

env = flyte.TaskEnvironment(name="prog_coerce")


class User(BaseModel):
    name: str
    age: int


@dataclass
class Limits:
    low: int
    high: int


@env.task
def check(user: User, limits: Limits) -> str:
    ok = limits.low <= user.age <= limits.high
    return f"{type(user).__name__} {type(limits).__name__} {user.name} {ok}"


def main() -> None:
    flyte.init()
    print(flyte.run(check, user={"name": "ann", "age": 30}, limits={"low": 18, "high": 65}).outputs()[0])


if __name__ == "__main__":
    main()
