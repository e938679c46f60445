"""Hold-out evaluation data for record linkage (*dữ liệu kiểm định ghép nối*): a synthetic
Hưng Yên population written out by three sector systems, with the truth, generated from a
written spec independently of the linker. See docs/holdout.md."""

from lienthong.holdout.generate import Manifest, generate
from lienthong.holdout.rates import SPEC_VERSION

__all__ = ["SPEC_VERSION", "Manifest", "generate"]
