"""Reports (async): flyte.report.log.aio and a named tab, from an async task."""

import flyte
import flyte.report

env = flyte.TaskEnvironment(name="prog_report_async")


@env.task(report=True)
async def chart(points: list[int]) -> str:
    tab = flyte.report.get_tab("Chart")
    tab.log("<p>" + ", ".join(map(str, points)) + "</p>")
    await flyte.report.log.aio("<p>main tab</p>", do_flush=True)
    return f"{len(points)} points"


def main() -> None:
    flyte.init()
    print(flyte.run(chart, points=[3, 1, 4]).outputs()[0])


if __name__ == "__main__":
    main()
