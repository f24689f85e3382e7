"""Images: an environment's image with one small pip layer; the task imports the package it adds."""

import flyte

image = flyte.Image.from_debian_base(python_version=(3, 11)).with_pip_packages("pyyaml")
env = flyte.TaskEnvironment(name="prog_image", image=image)


@env.task
def to_yaml(data: dict[str, int]) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=True).strip()


def main() -> None:
    flyte.init()
    print(flyte.run(to_yaml, data={"b": 2, "a": 1}).outputs()[0])


if __name__ == "__main__":
    main()
