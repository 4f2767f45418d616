"""What an operator sees of a running service: metrics, traces and request ids.

Every label is a bounded, non-personal value — a service, a route template, a consumer's
durable name, a channel kind, a status — never an id, a path or anything a person typed.
"""
