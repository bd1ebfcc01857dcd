from jonction.journal.schema import metadata
from jonction.migrations import run_env

run_env(metadata)
