"""Configuration surface: the setting models, environments and task attributes against flyte 2.12.1.

Written from the SDK's documented API (signatures, defaults, attribute types, exception classes).
"""

from __future__ import annotations

from tests.conformance.harness import Scenario


def _one(name: str, expression: str) -> Scenario:
    """A scenario whose result is one expression."""
    return Scenario(f"config.{name}", f"result = {expression}")


def _err(name: str, statement: str) -> Scenario:
    """A scenario that must raise (the exception's class is the outcome)."""
    return Scenario(f"config.{name}", f"{statement}\nresult = 'no error'")


_ENV = "env = flyte.TaskEnvironment(name='cfg')\n"
_TASK = _ENV + "@env.task\ndef t(x: int) -> int:\n    return x\n"


def _on_task(name: str, expression: str) -> Scenario:
    """A scenario reading `expression` off a plain task `t` of environment 'cfg'."""
    return Scenario(f"config.{name}", f"{_TASK}result = {expression}")

SCENARIOS = [
    # Resources and its getters
    _one("resources_defaults", "[flyte.Resources().cpu, flyte.Resources().memory, flyte.Resources().gpu, "
         "flyte.Resources().disk, flyte.Resources().shm]"),
    _one("resources_cpu_float", "flyte.Resources(cpu=0.5).cpu"),
    _one("resources_cpu_str", "flyte.Resources(cpu='500m').cpu"),
    _one("resources_cpu_tuple", "flyte.Resources(cpu=(1, 2)).cpu"),
    _one("resources_memory_tuple", "flyte.Resources(memory=('1Gi', '2Gi')).memory"),
    _one("resources_disk", "flyte.Resources(disk='10Gi').disk"),
    _one("resources_shm", "flyte.Resources(shm='1Gi').shm"),
    _one("resources_shm_auto", "flyte.Resources(shm='auto').shm"),
    _one("resources_gpu_str", "flyte.Resources(gpu='A100:2').gpu"),
    _one("resources_gpu_int", "flyte.Resources(gpu=1).gpu"),
    _one("resources_positional", "flyte.Resources(1, '1Gi').memory"),
    _one("resources_get_shared_memory_none", "flyte.Resources().get_shared_memory()"),
    _one("resources_get_shared_memory_auto", "flyte.Resources(shm='auto').get_shared_memory()"),
    _one("resources_get_shared_memory_size", "flyte.Resources(shm='2Gi').get_shared_memory()"),
    _one("resources_get_device_none", "flyte.Resources().get_device()"),
    _one("resources_get_device_zero", "flyte.Resources(gpu=0).get_device()"),
    _one("resources_get_device_int", "(lambda d: [d.quantity, d.device_class, d.device, d.partition])"
         "(flyte.Resources(gpu=2).get_device())"),
    _one("resources_get_device_str", "(lambda d: [d.quantity, d.device_class, d.device, d.partition])"
         "(flyte.Resources(gpu='H100:4').get_device())"),
    _one("resources_get_device_trn1", "(lambda d: [d.quantity, d.device_class, d.device])"
         "(flyte.Resources(gpu='Trn1:1').get_device())"),
    _one("resources_get_device_inf2", "(lambda d: [d.quantity, d.device_class, d.device])"
         "(flyte.Resources(gpu='Inf2:3').get_device())"),
    _one("resources_get_device_mi300x", "(lambda d: [d.quantity, d.device_class, d.device])"
         "(flyte.Resources(gpu='MI300X:1').get_device())"),
    _one("resources_get_device_gaudi", "(lambda d: [d.quantity, d.device_class, d.device])"
         "(flyte.Resources(gpu='Gaudi1:1').get_device())"),
    _one("resources_gpu_l4", "flyte.Resources(gpu='L4:8').gpu"),
    _one("resources_gpu_a100_80g", "flyte.Resources(gpu='A100_80G:1').get_device().device"),
    _one("resources_gpu_t4_shared", "flyte.Resources(gpu='T4 shared:1').get_device().device"),
    _one("resources_get_device_passthrough", "flyte.Resources(gpu=flyte.GPU('T4', 1)).get_device().device"),
    _err("resources_gpu_unknown", "flyte.Resources(gpu='Z99:1')"),
    _err("resources_gpu_too_many", "flyte.Resources(gpu='A100:9')"),
    _err("resources_gpu_negative", "flyte.Resources(gpu=-1)"),
    _err("resources_gpu_tuple", "flyte.Resources(gpu=('A100', 1))"),
    _err("resources_cpu_negative", "flyte.Resources(cpu=-1)"),
    _err("resources_cpu_list", "flyte.Resources(cpu=[1])"),
    _err("resources_cpu_triple", "flyte.Resources(cpu=(1, 2, 3))"),
    _err("resources_memory_int", "flyte.Resources(memory=1024)"),
    _err("resources_disk_int", "flyte.Resources(disk=10)"),
    _err("resources_memory_pair_none", "flyte.Resources(memory=(None, '2Gi'))"),
    _one("resources_type_name", "type(flyte.Resources()).__name__"),
    # Devices and accelerator families
    _one("gpu_device", "(lambda d: [d.quantity, d.device_class, d.device, d.partition])(flyte.GPU('A100', 2))"),
    _one("gpu_partition", "flyte.GPU('A100', 1, '1g.5gb').partition"),
    _one("gpu_h100_partition", "flyte.GPU(device='H100', quantity=1, partition='1g.10gb').partition"),
    _err("gpu_bad_partition", "flyte.GPU('A100', 1, '9g.99gb')"),
    _err("gpu_h100_a100_partition", "flyte.GPU('H100', 1, '1g.5gb')"),
    _err("gpu_shared_partition", "flyte.GPU('T4 shared', 1, '1g.5gb')"),
    _err("gpu_unknown", "flyte.GPU('Z99', 1)"),
    _err("gpu_zero", "flyte.GPU('T4', 0)"),
    _one("gpu_l40s", "flyte.GPU('L40s', 1).device"),
    _one("tpu_device", "(lambda d: [d.quantity, d.device_class, d.device, d.partition])(flyte.TPU('V5P', '2x2x1'))"),
    _one("tpu_no_partition", "flyte.TPU('V6E').partition"),
    _err("tpu_bad_partition", "flyte.TPU('V5P', '1x1')"),
    _err("tpu_v5e_bad_partition", "flyte.TPU('V5E', '2x2x1')"),
    _err("tpu_unknown", "flyte.TPU('V9')"),
    _one("amd_gpu", "(lambda d: [d.quantity, d.device_class, d.device])(flyte.AMD_GPU('MI300X'))"),
    _err("amd_gpu_unknown", "flyte.AMD_GPU('MI1')"),
    _one("neuron", "(lambda d: [d.quantity, d.device_class, d.device])(flyte.Neuron('Trn1'))"),
    _err("neuron_unknown", "flyte.Neuron('Trn9')"),
    _one("habana_gaudi", "(lambda d: [d.quantity, d.device_class, d.device])(flyte.HABANA_GAUDI('Gaudi1'))"),
    _err("habana_gaudi_unknown", "flyte.HABANA_GAUDI('Gaudi9')"),
    _one("device_direct", "(lambda d: [d.quantity, d.device_class, d.device, d.partition])"
         "(flyte.Device(quantity=2, device_class='NEURON', device='Inf1'))"),
    _err("device_zero", "flyte.Device(quantity=0, device_class='GPU')"),
    _one("device_equal", "flyte.GPU('T4', 1) == flyte.Device(1, 'GPU', 'T4')"),
    _one("resources_with_device", "flyte.Resources(gpu=flyte.AMD_GPU('MI250')).gpu.device"),
    # Secret
    _one("secret_as_env_var_default", "flyte.Secret(key='my-secret').as_env_var"),
    _one("secret_as_env_var_group", "flyte.Secret(key='token', group='my-group').as_env_var"),
    _one("secret_as_env_var_given", "flyte.Secret('k', as_env_var='OPENAI_API_KEY').as_env_var"),
    _one("secret_mount_none", "flyte.Secret('k').mount"),
    _one("secret_group_default", "flyte.Secret('k').group"),
    _err("secret_group_arn_default_env", "flyte.Secret(key='db', group='arn:aws:secretsmanager:us-east-1:1:secret:x')"),
    _one("secret_group_arn", "flyte.Secret(key='db', group='arn:aws:secretsmanager:us-east-1:1:secret:x', "
         "as_env_var='DB').group"),
    _one("secret_key_dash_group", "flyte.Secret(key='api-key', group='team-a').as_env_var"),
    _one("secret_key_upper", "flyte.Secret(key='MY_SECRET').as_env_var"),
    _one("secret_mount_flyte", "[str(flyte.Secret('k', mount='/etc/flyte/secrets').mount), "
         "flyte.Secret('k', mount='/etc/flyte/secrets').as_env_var]"),
    _err("secret_mount_other", "flyte.Secret('k', mount='/tmp/secret')"),
    _err("secret_as_env_var_lower", "flyte.Secret('k', as_env_var='lower')"),
    _err("secret_as_env_var_dash", "flyte.Secret('k', as_env_var='A-B')"),
    _err("secret_as_env_var_digit", "flyte.Secret('k', as_env_var='1A')"),
    _one("secret_equal", "flyte.Secret('k') == flyte.Secret(key='k')"),
    _one("secret_hashable", "len({flyte.Secret('k'), flyte.Secret('k')})"),
    _one("secret_type_name", "type(flyte.Secret('k')).__name__"),
    # Cache
    _one("cache_auto_enabled", "flyte.Cache('auto').is_enabled()"),
    _one("cache_override_enabled", "flyte.Cache('override', version_override='v1').is_enabled()"),
    _one("cache_disable_enabled", "flyte.Cache('disable').is_enabled()"),
    _one("cache_alias_enable", "flyte.Cache('enable').behavior"),
    _one("cache_alias_enabled", "flyte.Cache('enabled').behavior"),
    _one("cache_alias_on", "flyte.Cache('on').behavior"),
    _one("cache_alias_true", "flyte.Cache('true').behavior"),
    _one("cache_alias_yes", "flyte.Cache('YES').behavior"),
    _one("cache_alias_off", "flyte.Cache('off').behavior"),
    _one("cache_alias_false", "flyte.Cache('false').behavior"),
    _one("cache_alias_no", "flyte.Cache('no').behavior"),
    _one("cache_alias_none", "flyte.Cache('None').behavior"),
    _err("cache_bad_behavior", "flyte.Cache('sometimes')"),
    _one("cache_defaults", "(lambda c: [c.version_override, c.serialize, c.ignored_inputs, c.salt, c.max_age])"
         "(flyte.Cache('auto'))"),
    _one("cache_auto_policies", "[type(p).__name__ for p in flyte.Cache('auto').policies]"),
    _one("cache_disable_policies", "flyte.Cache('disable').policies"),
    _one("cache_ignored_inputs_str", "flyte.Cache('auto', ignored_inputs='x').get_ignored_inputs()"),
    _one("cache_ignored_inputs_tuple", "flyte.Cache('auto', ignored_inputs=('a', 'b')).get_ignored_inputs()"),
    _one("cache_ignored_inputs_default", "flyte.Cache('auto').get_ignored_inputs()"),
    _one("cache_version_disabled", "flyte.Cache('disable').get_version()"),
    _one("cache_version_override", "flyte.Cache('override', version_override='v7').get_version()"),
    _one("cache_max_age_int", "flyte.Cache('auto', max_age=60).max_age.total_seconds()"),
    _one("cache_max_age_zero", "flyte.Cache('auto', max_age=0).max_age.total_seconds()"),
    _err("cache_max_age_negative", "flyte.Cache('auto', max_age=-1)"),
    _err("cache_max_age_str", "flyte.Cache('auto', max_age='1h')"),
    _err("cache_max_age_float", "flyte.Cache('auto', max_age=1.5)"),
    _err("cache_max_age_bool", "flyte.Cache('auto', max_age=True)"),
    _one("cache_serialize", "flyte.Cache('auto', serialize=True).serialize"),
    _one("cache_salt", "flyte.Cache('auto', salt='v2').salt"),
    _one("cache_env_alias", "flyte.TaskEnvironment(name='c', cache='on').cache.behavior if not "
         "isinstance(flyte.TaskEnvironment(name='c', cache='on').cache, str) else 'str'"),
    # ReusePolicy
    _one("reuse_defaults", "(lambda r: [r.replicas, r.concurrency, r.scope, r.idle_ttl.total_seconds(), "
         "r.scaledown_ttl.total_seconds(), r.get_scaledown_ttl().total_seconds()])(flyte.ReusePolicy())"),
    _one("reuse_replicas_int", "flyte.ReusePolicy(replicas=2).replicas"),
    _one("reuse_replicas_tuple", "flyte.ReusePolicy(replicas=(1, 3)).replicas"),
    _one("reuse_min_max", "(lambda r: [r.min_replicas, r.max_replicas])(flyte.ReusePolicy(replicas=(1, 4)))"),
    _one("reuse_min_max_int", "(lambda r: [r.min_replicas, r.max_replicas])(flyte.ReusePolicy(replicas=3))"),
    _one("reuse_idle_ttl_int", "flyte.ReusePolicy(idle_ttl=60).idle_ttl.total_seconds()"),
    _err("reuse_idle_ttl_short", "flyte.ReusePolicy(idle_ttl=10)"),
    _err("reuse_idle_ttl_str", "flyte.ReusePolicy(idle_ttl='60')"),
    _err("reuse_replicas_none", "flyte.ReusePolicy(replicas=None)"),
    _err("reuse_replicas_list", "flyte.ReusePolicy(replicas=[1, 2])"),
    _err("reuse_replicas_min_gt_max", "flyte.ReusePolicy(replicas=(3, 1))"),
    _err("reuse_replicas_negative", "flyte.ReusePolicy(replicas=-1)"),
    _err("reuse_concurrency_zero", "flyte.ReusePolicy(concurrency=0)"),
    _err("reuse_scope_bad", "flyte.ReusePolicy(scope='cluster')"),
    _one("reuse_scope_run", "flyte.ReusePolicy(scope='run').scope"),
    # RetryStrategy and Backoff
    _one("retry_backoff_default", "flyte.RetryStrategy(3).backoff"),
    _err("retry_count_negative", "flyte.RetryStrategy(count=-1)"),
    _err("retry_count_str", "flyte.RetryStrategy(count='3')"),
    _one("backoff_is_class", "isinstance(flyte.Backoff, type)"),
    _one("backoff_defaults", "(lambda b: [b.base.total_seconds(), b.factor, b.cap])"
         "(flyte.Backoff(base=__import__('datetime').timedelta(seconds=5)))"),
    _one("backoff_compute_delay", "[flyte.Backoff(__import__('datetime').timedelta(seconds=1), 2.0, "
         "__import__('datetime').timedelta(seconds=5)).compute_delay(n).total_seconds() for n in range(5)]"),
    _one("backoff_constant_delay", "flyte.Backoff(__import__('datetime').timedelta(seconds=3))"
         ".compute_delay(4).total_seconds()"),
    _err("backoff_factor_below_one", "flyte.Backoff(__import__('datetime').timedelta(seconds=1), 0.5)"),
    _err("backoff_factor_no_cap", "flyte.Backoff(__import__('datetime').timedelta(seconds=1), 2.0)"),
    _err("backoff_negative_base", "flyte.Backoff(__import__('datetime').timedelta(seconds=-1))"),
    _err("backoff_negative_index", "flyte.Backoff(__import__('datetime').timedelta(seconds=1)).compute_delay(-1)"),
    _one("retry_with_backoff", "flyte.RetryStrategy(2, flyte.Backoff(__import__('datetime').timedelta(seconds=1)))"
         ".backoff.base.total_seconds()"),
    _one("backoff_frozen", """(lambda b: (setattr(b, 'factor', 3.0), 'mutable'))(flyte.Backoff(__import__('datetime').timedelta(1)))[1] if False else type(flyte.Backoff(__import__('datetime').timedelta(1))).__name__"""),
    # Timeout

    _one("timeout_max_runtime_int", "flyte.Timeout(max_runtime=300).max_runtime"),
    _one("timeout_deadline_int", "flyte.Timeout(deadline=60).deadline"),
    _one("timeout_positional", "[flyte.Timeout(120).max_runtime, flyte.Timeout(1, 2, 3).deadline]"),
    _one("timeout_defaults", "(lambda t: [t.max_runtime, t.max_queued_time, t.deadline])(flyte.Timeout())"),
    _one("timeout_timedelta", "flyte.Timeout(max_runtime=__import__('datetime').timedelta(minutes=1))"
         ".max_runtime.total_seconds()"),


    # Triggers
    _one("trigger_hourly", "(lambda t: [t.name, t.description, type(t.automation).__name__, t.automation.expression])"
         "(flyte.Trigger.hourly())"),
    _one("trigger_daily", "(lambda t: [t.name, t.description, t.automation.expression])(flyte.Trigger.daily())"),
    _one("trigger_weekly", "(lambda t: [t.name, t.description, t.automation.expression])(flyte.Trigger.weekly())"),
    _one("trigger_monthly", "(lambda t: [t.name, t.description, t.automation.expression])(flyte.Trigger.monthly())"),
    _one("trigger_minutely", "(lambda t: [t.name, t.description, t.automation.expression])"
         "(flyte.Trigger.minutely())"),
    _one("trigger_hourly_named", "flyte.Trigger.hourly(name='every_hour').name"),
    _one("trigger_defaults", "(lambda t: [t.description, t.auto_activate, t.inputs, t.env_vars, t.interruptible, "
         "t.overwrite_cache, t.queue])(flyte.Trigger('n', flyte.Cron('0 0 * * *')))"),
    _one("trigger_time_exists", "flyte.TriggerTime is not None"),
    _one("cron_timezone_default", "flyte.Cron('0 0 * * *').timezone"),
    _one("fixed_rate", "(lambda f: [f.interval_minutes, f.start_time])(flyte.FixedRate(10))"),
    # PodTemplate
    _one("pod_template_defaults", "(lambda p: [p.pod_spec, p.primary_container_name, p.labels, p.annotations])"
         "(flyte.PodTemplate())"),
    _one("pod_template_labels", "flyte.PodTemplate(labels={'a': 'b'}).labels"),
    _one("pod_template_builders", "[hasattr(flyte.PodTemplate, m) for m in "
         "('with_termination_grace_period', 'allow_fuse', 'allow_nested_sandboxing', 'from_spec', 'to_k8s_pod')]"),
    _err("pod_template_grace_none", "flyte.PodTemplate().with_termination_grace_period(None)"),
    _err("pod_template_grace_float", "flyte.PodTemplate().with_termination_grace_period(1.5)"),
    _err("pod_template_grace_negative", "flyte.PodTemplate().with_termination_grace_period(-1)"),
    _err("pod_template_grace_bool", "flyte.PodTemplate().with_termination_grace_period(True)"),
    _err("pod_template_grace_str", "flyte.PodTemplate().with_termination_grace_period('30')"),
    # Environment and TaskEnvironment
    _one("environment_is_base", "issubclass(flyte.TaskEnvironment, flyte.Environment)"),
    _one("env_defaults", "(lambda e: [e.depends_on, e.pod_template, e.description, e.secrets, e.env_vars, "
         "e.resources, e.interruptible, e.image, e.include, e.service_account, e.reusable, e.plugin_config, "
         "e.queue])(flyte.TaskEnvironment(name='d'))"),
    _one("environment_base", "(lambda e: [e.name, e.depends_on, e.image, type(e).__name__])"
         "(flyte.Environment(name='base'))"),
    _err("environment_base_refuses_cache", "flyte.Environment(name='base', cache='auto')"),
    _err("env_include_str", "flyte.TaskEnvironment(name='d', include='a.py')"),
    _err("env_include_int", "flyte.TaskEnvironment(name='d', include=[1])"),
    _one("env_include_list", "flyte.TaskEnvironment(name='d', include=['a.py', 'b.py']).include"),
    _one("clone_with_include", "flyte.TaskEnvironment(name='d', include=('a.py',)).clone_with('e').include"),
    _err("env_add_dependency_self", "(lambda a: a.add_dependency(a))(flyte.TaskEnvironment(name='a'))"),
    _err("env_add_dependency_not_env", "flyte.TaskEnvironment(name='a').add_dependency('b')"),
    _one("env_add_dependency_duplicate", "(lambda a, b: (a.add_dependency(b), a.add_dependency(b), "
         "len(a.depends_on))[2])(flyte.TaskEnvironment(name='a'), flyte.TaskEnvironment(name='b'))"),
    _one("env_cache_default", "flyte.TaskEnvironment(name='d').cache"),
    _one("env_include", "flyte.TaskEnvironment(name='d', include=('a.py',)).include"),
    _err("env_bad_name", "flyte.TaskEnvironment(name='Bad Name')"),
    _err("env_bad_name_underscore_end", "flyte.TaskEnvironment(name='bad_')"),
    _one("env_name_ok", "flyte.TaskEnvironment(name='a-b_c1').name"),
    _one("env_add_dependency", "(lambda a, b: (a.add_dependency(b), [d.name for d in a.depends_on])[1])"
         "(flyte.TaskEnvironment(name='a'), flyte.TaskEnvironment(name='b'))"),
    _one("env_depends_on", "[d.name for d in flyte.TaskEnvironment(name='a', "
         "depends_on=[flyte.TaskEnvironment(name='b')]).depends_on]"),
    _one("env_tasks_empty", "flyte.TaskEnvironment(name='d').tasks"),
    _on_task("env_tasks_keys", "list(env.tasks)"),
    _on_task("env_tasks_value_type", "type(env.tasks['cfg.t']).__name__"),
    Scenario("config.clone_with_name", _ENV + "result = env.clone_with('other').name"),
    Scenario("config.clone_with_keeps_settings",
             "env = flyte.TaskEnvironment(name='a', env_vars={'A': '1'}, resources=flyte.Resources(cpu=1))\n"
             "c = env.clone_with('b')\nresult = [c.env_vars, c.resources.cpu, type(c).__name__]"),
    Scenario("config.clone_with_override",
             "env = flyte.TaskEnvironment(name='a', env_vars={'A': '1'})\n"
             "result = env.clone_with('b', env_vars={'B': '2'}).env_vars"),
    _on_task("clone_with_no_tasks", "env.clone_with('cfg2').tasks"),
    Scenario("config.clone_with_cache", "env = flyte.TaskEnvironment(name='a', cache='auto')\n"
             "result = env.clone_with('b').cache"),
    Scenario("config.env_reusable_and_plugin_config",
             "flyte.TaskEnvironment(name='a', reusable=flyte.ReusePolicy(), plugin_config=object())\n"
             "result = 'no error'"),
    Scenario("config.env_secrets_str", "result = flyte.TaskEnvironment(name='a', secrets='k').secrets"),
    Scenario("config.env_interruptible", "result = flyte.TaskEnvironment(name='a', interruptible=True).interruptible"),
    # Task attributes
    _on_task("task_name", "t.name"),
    _on_task("task_short_name", "t.short_name"),
    Scenario("config.task_short_name_given", _ENV + "@env.task(short_name='tiny')\ndef t(x: int) -> int:\n"
             "    return x\nresult = [t.name, t.short_name]"),
    _on_task("task_type_name", "type(t).__name__"),
    _on_task("task_is_template", "isinstance(t, flyte.TaskTemplate)"),
    _on_task("task_resources_none", "t.resources"),
    Scenario("config.task_resources_env", "env = flyte.TaskEnvironment(name='cfg', resources=flyte.Resources(cpu=2))\n"
             "@env.task\ndef t(x: int) -> int:\n    return x\nresult = t.resources.cpu"),
    _on_task("task_retries_default", "[t.retries.count, t.retries.backoff]"),
    Scenario("config.task_retries_int", _ENV + "@env.task(retries=3)\ndef t(x: int) -> int:\n    return x\n"
             "result = [type(t.retries).__name__, t.retries.count]"),
    _on_task("task_timeout_default", "t.timeout"),
    Scenario("config.task_timeout_object", _ENV + "@env.task(timeout=flyte.Timeout(max_runtime=60))\n"
             "def t(x: int) -> int:\n    return x\nresult = [type(t.timeout).__name__, t.timeout.max_runtime]"),
    _on_task("task_cache_default", "t.cache.behavior"),
    Scenario("config.task_cache_str", _ENV + "@env.task(cache='auto')\ndef t(x: int) -> int:\n    return x\n"
             "result = [type(t.cache).__name__, t.cache.behavior]"),
    _on_task("task_pod_template_none", "t.pod_template"),
    Scenario("config.task_pod_template_str", _ENV + "@env.task(pod_template='tpl')\ndef t(x: int) -> int:\n"
             "    return x\nresult = t.pod_template"),
    _on_task("task_reusable_none", "t.reusable"),
    _on_task("task_triggers_default", "t.triggers"),
    Scenario("config.task_triggers_given", _ENV + "@env.task(triggers=flyte.Trigger.hourly())\ndef t() -> None:\n"
             "    pass\nresult = [tr.name for tr in t.triggers]"),
    _on_task("task_interruptible", "t.interruptible"),
    _on_task("task_queue", "t.queue"),
    _on_task("task_report", "t.report"),
    _on_task("task_env_vars", "t.env_vars"),
    _on_task("task_secrets", "t.secrets"),
    _on_task("task_max_inline", "t.max_inline_io_bytes"),
    Scenario("config.task_docs", _ENV + "@env.task\ndef t(x: int) -> int:\n    '''Doubles.'''\n    return x\n"
             "result = t.docs.description if hasattr(t.docs, 'description') else t.docs"),
    _on_task("task_links", "t.links"),
    _on_task("task_service_account", "t.service_account"),
    Scenario("config.service_account_inherited",
             "env = flyte.TaskEnvironment(name='sa', service_account='sa1')\n@env.task\ndef t(x: int) -> int:\n"
             "    return x\nresult = [t.service_account, env.clone_with('sb').service_account, "
             "t.override(service_account='b').service_account]"),
    Scenario("config.service_account_decorator", _ENV + "@env.task(service_account='own')\ndef t(x: int) -> int:\n"
             "    return x\nresult = t.service_account"),
    _err("service_account_not_str", "flyte.TaskEnvironment(name='sa', service_account=3)"),
    Scenario("config.service_account_override_reusable",
             "env = flyte.TaskEnvironment(name='sa', reusable=flyte.ReusePolicy())\n@env.task\n"
             "def t(x: int) -> int:\n    return x\nt.override(service_account='q')\nresult = 'no error'"),
    Scenario("config.service_account_override_reusable_off",
             "env = flyte.TaskEnvironment(name='sa', reusable=flyte.ReusePolicy())\n@env.task\n"
             "def t(x: int) -> int:\n    return x\nresult = t.override(service_account='q', reusable='off')"
             ".service_account"),
    Scenario("config.task_entrypoint_param", _ENV + "@env.task(entrypoint=True)\ndef t(x: int) -> int:\n"
             "    return x\nresult = t.name"),
    _on_task("override_type", "type(t.override(retries=2)).__name__"),
    _on_task("override_new_object", "t.override(retries=2) is t"),
    _on_task("override_retries", "t.override(retries=2).retries.count"),
    Scenario("config.override_keeps_original", _TASK + "t.override(retries=2)\nresult = t.retries.count"),
    _on_task("override_resources", "t.override(resources=flyte.Resources(cpu=3)).resources.cpu"),
    _on_task("override_timeout", "type(t.override(timeout=flyte.Timeout(30)).timeout).__name__"),
    _on_task("override_cache", "t.override(cache='auto').cache.behavior"),
    _on_task("override_env_vars", "t.override(env_vars={'A': '1'}).env_vars"),
    _on_task("override_queue", "t.override(queue='q').queue"),
    _on_task("override_name", "t.override(short_name='s').short_name"),
    _on_task("override_pod_template", "t.override(pod_template='tpl').pod_template"),
    Scenario("config.override_refuses_name", _TASK + "t.override(name='x')\nresult = 'no error'"),
    Scenario("config.override_refuses_image", _TASK + "t.override(image='python:3.11')\nresult = 'no error'"),
    Scenario("config.override_refuses_docs", _TASK + "t.override(docs='x')\nresult = 'no error'"),
    Scenario("config.override_reusable_resources",
             "env = flyte.TaskEnvironment(name='cfg', reusable=flyte.ReusePolicy())\n"
             "@env.task\ndef t(x: int) -> int:\n    return x\n"
             "t.override(resources=flyte.Resources(cpu=2))\nresult = 'no error'"),
    Scenario("config.override_reusable_off_resources",
             "env = flyte.TaskEnvironment(name='cfg', reusable=flyte.ReusePolicy())\n"
             "@env.task\ndef t(x: int) -> int:\n    return x\n"
             "result = t.override(reusable='off', resources=flyte.Resources(cpu=2)).resources.cpu"),
    Scenario("config.task_reusable_env",
             "env = flyte.TaskEnvironment(name='cfg', reusable=flyte.ReusePolicy(replicas=(1, 2)))\n"
             "@env.task\ndef t(x: int) -> int:\n    return x\nresult = t.reusable.replicas"),
    _on_task("task_callable_local", "t(3)"),
    # Image
    _one("image_base_image", "flyte.Image.from_base('python:3.11-slim').base_image"),
    _one("image_from_ref_name", "type(flyte.Image.from_ref_name('my-image')).__name__"),
    _one("image_methods", "[hasattr(flyte.Image, m) for m in ('from_debian_base', 'from_base', 'from_dockerfile', "
         "'from_uv_script', 'from_ref_name', 'with_pip_packages', 'with_apt_packages', "
         "'with_requirements', 'with_commands', 'with_env_vars', 'with_source_file', 'with_source_folder', "
         "'with_workdir', 'with_uv_project')]"),
    _one("image_immutable", "(lambda i: i.with_pip_packages('numpy') is i)(flyte.Image.from_debian_base())"),
    _one("image_from_ref_name_base", "flyte.Image.from_ref_name('my-image').name"),
    _one("image_equal_layers", "flyte.Image.from_debian_base().with_pip_packages('numpy') == "
         "flyte.Image.from_debian_base().with_pip_packages('numpy')"),
]
