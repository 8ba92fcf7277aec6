"""The platform: what every domain stands on and none of them owns. The database and its
extensions, the job queue, mail and SMS transport helpers, languages, the display of times and
money, absolute URLs, caches and their versions, rate limits, storage, images, metrics, traces,
error reports and the domain errors' kinds. Nothing here imports a domain, the web layer or
the demo (the first contract in pyproject.toml holds that)."""
