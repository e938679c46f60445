"""People: persons signed in from the identity provider, their roles and personal access tokens."""
