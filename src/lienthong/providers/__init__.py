"""Provider services: a sector system's own API, called through the platform."""
