"""The event catalogue: Hero Journey CRM's public contract between producers and consumers."""
