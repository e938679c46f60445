"""Citizens in the store, as the exchange tests have them."""

from tests.exchange.conftest import citizens

__all__ = ["citizens"]
