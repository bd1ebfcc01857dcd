from jonction.migrations import run_env
from jonction.sources.refer.schema import metadata

run_env(metadata)
