"""System identity: OAuth2 client credentials and signed JWT access tokens."""
