"""One scenario per deliberate difference (flyte_nb/differences.py): each shows flyte_nb and flyte 2.12.1 differ.

Where these scenarios stop differing, test_conformance fails and the difference must be unlisted.
"""

from __future__ import annotations

from tests.conformance.harness import Scenario

_FAILING_TWICE = """
env = flyte.TaskEnvironment(name='falsy')

@env.task(retries=2)
def flaky() -> int:
    with open('attempts.txt', 'a') as f:
        f.write('x')
    raise ValueError('always fails')

flyte.init()
try:
    flyte.run(flaky.override(retries=0))
except Exception:
    pass
result = len(open('attempts.txt').read())  # attempts made: 1 when retries=0 is kept, 3 when it is dropped
"""

_TASK = """
env = flyte.TaskEnvironment(name='refused')

@env.task
def t(x: int) -> int:
    return x
"""

_PLUGIN = _TASK + """
from dataclasses import dataclass

@dataclass
class Config:
    n: int = 1

try:  # the SDK accepts plugin_config only for a registered plugin type; flyte_nb has no task plugins
    from flyte.extend import AsyncFunctionTaskTemplate, TaskPluginRegistry

    @dataclass(kw_only=True)
    class ConfigTask(AsyncFunctionTaskTemplate):
        plugin_config: Config

    TaskPluginRegistry.register(Config, ConfigTask)
except (ImportError, NotImplementedError):  # flyte_nb: flyte.extend loads, its plugin classes are not provided
    pass
t.override(plugin_config=Config())
result = 'accepted'
"""

_IN_TASK = """
import os
env = flyte.TaskEnvironment(name='{name}', {settings})

@env.task
def probe() -> str:
    {body}

flyte.init()
result = flyte.run(probe).outputs()[0]
"""

SCENARIOS = [
    Scenario("differences.falsy_override_retries_kept", _FAILING_TWICE),
    Scenario("differences.override_refuses_report", _TASK + "t.override(report=True)\nresult = 'accepted'"),
    Scenario("differences.override_refuses_triggers",
             _TASK + "t.override(triggers=(flyte.Trigger('n', flyte.Cron('0 0 * * *')),))\nresult = 'accepted'"),
    Scenario("differences.override_refuses_plugin_config", _PLUGIN),
    Scenario("differences.decorator_pod_template_on_reusable_env", """
env = flyte.TaskEnvironment(name='reused', reusable=flyte.ReusePolicy(replicas=2))

@env.task(pod_template=flyte.PodTemplate(labels={'team': 'a'}))
def t(x: int) -> int:
    return x

result = 'accepted'
"""),
    Scenario("differences.local_timeout_enforced", """
import time
env = flyte.TaskEnvironment(name='slow')

@env.task(timeout=1)
def slow() -> str:
    time.sleep(3)
    return 'finished'

flyte.init()
try:
    result = flyte.run(slow).outputs()[0]
except Exception as e:
    result = 'stopped'
"""),
    Scenario("differences.local_env_vars_set", _IN_TASK.format(
        name='envvars', settings="env_vars={'GREETING': 'hello'}", body="return str(os.environ.get('GREETING'))"),
        runner="docker"),
    Scenario("differences.local_memory_enforced", _IN_TASK.format(
        name='small', settings="resources=flyte.Resources(memory='64Mi')",
        body="b = bytearray(300 * 1024 * 1024)\n    b[::4096] = b'x' * len(b[::4096])\n    return str(len(b))"),
        runner="docker"),
    Scenario("differences.local_secret_required", _IN_TASK.format(
        name='secretive', settings="secrets=[flyte.Secret(key='conformance-missing', as_env_var='MISSING')]",
        body="return str(os.environ.get('MISSING'))"), runner="docker"),
    Scenario("differences.local_attempt_fresh_process", """
env = flyte.TaskEnvironment(name='fresh')
_attempts = 0

@env.task(retries=2)
def flaky() -> str:
    global _attempts
    _attempts += 1  # module state: kept across retries only when every attempt shares one process
    if _attempts < 3:
        raise RuntimeError(f'transient failure on attempt {_attempts}')
    return f'ok after {_attempts} attempts'

flyte.init()
try:
    result = flyte.run(flaky).outputs()[0]
except Exception as e:
    result = str(e).splitlines()[0]
""", runner="docker"),
    Scenario("differences.local_image_used", _IN_TASK.format(
        name='imaged', settings="image=flyte.Image.from_debian_base().with_env_vars({'FROM_IMAGE': 'yes'})",
        body="return str(os.environ.get('FROM_IMAGE'))"), runner="docker"),
    Scenario("differences.image_python_is_the_kernels", """
env = flyte.TaskEnvironment(name='py312', image=flyte.Image.from_debian_base(python_version=(3, 12)))

@env.task
def where() -> str:
    return 'ran'

flyte.init()
try:
    result = flyte.run(where).outputs()[0]
except Exception as e:
    result = 'refused'
""", runner="docker"),
    Scenario("differences.image_files_read_when_declared", """
import tempfile, os
missing = os.path.join(tempfile.mkdtemp(), 'requirements.txt')
try:
    flyte.Image.from_debian_base().with_requirements(missing)
    result = 'accepted'
except ValueError:
    result = 'refused'
"""),
]
