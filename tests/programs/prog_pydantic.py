"""Typed IO: pydantic models in and out of tasks."""

import flyte
from pydantic import BaseModel

env = flyte.TaskEnvironment(name="prog_pydantic")


class Order(BaseModel):
    item: str
    quantity: int
    price: float


class Invoice(BaseModel):
    lines: list[Order]
    total: float


@env.task
def invoice(orders: list[Order]) -> Invoice:
    return Invoice(lines=orders, total=sum(o.quantity * o.price for o in orders))


def main() -> None:
    flyte.init()
    result = flyte.run(invoice, orders=[Order(item="pen", quantity=3, price=1.5), Order(item="ink", quantity=1, price=4.0)])
    bill = result.outputs()[0]
    print(type(bill).__name__, bill.total, [o.item for o in bill.lines])


if __name__ == "__main__":
    main()
