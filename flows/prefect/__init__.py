"""Archivist's Prefect flows, tasks and deployments.

Importing this package applies archivist's defaults for Prefect's own settings
(:func:`flows.settings.apply_prefect_defaults`: no telemetry, a longer
start-up time-out for the temporary server) before Prefect is imported, for
every way in: the CLI, a deployment, a script that calls a flow.
"""

from flows.settings import apply_prefect_defaults

apply_prefect_defaults()
