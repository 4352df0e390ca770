"""Use cases. Each public coroutine is one transaction and takes ``now`` from its caller."""
