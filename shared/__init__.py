"""Code every Waymark service uses: contracts, messaging, storage, settings."""
