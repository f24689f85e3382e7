"""Stand-ins for the flyte SDK's task plugins' config classes (`flyteplugins.*`), so a notebook can
write `plugin_config=RayJobConfig(...)` without the plugin (which needs the real SDK) installed.

flyte_nb does not run backend plugins (they exist on a cluster): it validates the config, keeps it
on the environment and exports it as the plugin's own class (`from flyteplugins.ray import ...`).
"""
