"""jonction's journal and state: runs, steps, operations, notices, and the objects it manages."""
