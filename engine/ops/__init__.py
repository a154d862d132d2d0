"""Running the installation as a whole: every table and registered piece loaded together (assembly),
the scheduler's tick over clocks, timers and portal retries (scheduler), account administration that
reads every layer's records (accounts), the directory sync and what it means for open work
(directory_sync), and the conformance run against a scratch database
(conformance). It may import every other engine package; only the web app and the CLI stand above it."""
