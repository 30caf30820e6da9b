"""The challenge lifecycle: domain, machine, storage and use cases."""
