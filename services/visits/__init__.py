"""The visits service: outreach visits to premises and the contacts made on them."""
