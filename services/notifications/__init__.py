"""The notifications service: telling the right person, in time, that something needs them."""
