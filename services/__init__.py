"""The three Waymark services: visits, cases and notifications."""
