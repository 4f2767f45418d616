"""Service tests: a service's (or the web app's) ASGI app booted in this process, with its
lifespan, stores and middleware, and called over HTTP with Starlette's TestClient. Slower than
the unit tests (each boots an app on fresh stores), faster than the integration tests (no NATS
server: the runtime reports NATS down and the routes answer all the same)."""
