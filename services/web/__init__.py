"""The browser apps: a backend-for-frontend that renders HTML on the three services' own APIs."""
