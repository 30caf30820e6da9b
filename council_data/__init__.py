"""The council's data coming in: the CSV importers for people and children, and the
believable demo council. Adapters at the edge, not the workflow: they use the workflow's
tables and services, and nothing in `workflow/` knows they exist.
"""
