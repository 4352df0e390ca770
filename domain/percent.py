"""The one rule by which every output turns an exact share into a whole percentage.

The roll, the minutes, the digest's text, chart and workbook all show percentages through
``whole_percent``, so the same meeting never reads 85% in one place and 86% in another.
Shares are kept exact (``Fraction``) until they are shown: means are taken of exact values,
and thresholds such as the 90% attendance norm compare exact values, never rounded ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import lcm


def whole_percent(share: Fraction) -> int:
    """The share as a whole percentage, half up, as people round by hand: 6/7 is 86%,
    2/3 is 67%, 66.5% is 67%."""
    # floor(share * 100 + 1/2), in integers: the digest rounds tens of thousands of rolls.
    return (200 * share.numerator + share.denominator) // (2 * share.denominator)


def share_of(counted: int, total: int) -> Fraction | None:
    """counted/total, or None when nothing was owed (no share, not 0%)."""
    return Fraction(counted, total) if total else None


def mean(shares: Sequence[Fraction]) -> Fraction | None:
    """The exact mean of exact shares, or None for none."""
    if not shares:
        return None
    # Over a common denominator, in integers: adding Fractions one by one reduces each sum.
    common = lcm(*(share.denominator for share in shares))
    total = sum(share.numerator * (common // share.denominator) for share in shares)
    return Fraction(total, common * len(shares))
