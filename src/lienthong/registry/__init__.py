"""Registry: administrative units, organisations, information systems and their credentials."""
