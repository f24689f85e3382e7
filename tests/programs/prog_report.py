"""Reports: a task with report=True logs HTML to its report and returns a value."""

import flyte
import flyte.report

env = flyte.TaskEnvironment(name="prog_report")


@env.task(report=True)
def summarize(xs: list[int]) -> int:
    total = sum(xs)
    flyte.report.log(f"<h2>Summary</h2><p>{len(xs)} values, total {total}</p>")
    flyte.report.flush()
    return total


def main() -> None:
    flyte.init()
    print(flyte.run(summarize, xs=[1, 2, 3]).outputs()[0])


if __name__ == "__main__":
    main()
