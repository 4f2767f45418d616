"""The NATS edge: connection, stream provisioning, the outbox relay, durable consumers."""
