"""The composition side: what assembles every service into one system (the ``waymark`` command,
the event catalogue). It may import any service; ``shared`` and the services never import it."""
