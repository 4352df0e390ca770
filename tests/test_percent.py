"""One rounding rule for every percentage shown, checked against rounding by hand."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from domain.attendance import RollStatus, roll_figures
from domain.percent import mean, share_of, whole_percent


def by_hand(counted: int, total: int) -> int:
    exact = Decimal(100 * counted) / Decimal(total)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_shares_people_check_by_hand() -> None:
    assert whole_percent(Fraction(6, 7)) == 86
    assert whole_percent(Fraction(2, 3)) == 67
    assert whole_percent(Fraction(133, 200)) == 67  # 66.5%: half up, not to even
    assert whole_percent(Fraction(1, 8)) == 13  # 12.5%
    assert whole_percent(Fraction(0)) == 0 and whole_percent(Fraction(1)) == 100


@given(st.integers(min_value=1, max_value=400), st.data())
def test_whole_percent_is_half_up_rounding(total: int, data: st.DataObject) -> None:
    counted = data.draw(st.integers(min_value=0, max_value=total))
    assert whole_percent(Fraction(counted, total)) == by_hand(counted, total)


def test_the_roll_shows_six_of_seven_as_86() -> None:
    statuses = [RollStatus.PRESENT] * 6 + [RollStatus.UNEXCUSED]
    assert roll_figures(statuses).percent == 86


def test_nothing_owed_is_no_share_and_means_are_exact() -> None:
    assert share_of(0, 0) is None
    assert share_of(3, 4) == Fraction(3, 4)
    assert mean([]) is None
    # Two cells at 2/3 and 2/3 rounded first would give 67; exactly, (2/3 + 2/3) / 2 = 2/3.
    # One at 133/200 (66.5%) and one at 1/2: exact mean 58.25% -> 58; from rounded 67 and 50
    # the mean would be 58.5 -> 59.
    assert whole_percent(mean([Fraction(133, 200), Fraction(1, 2)]) or Fraction(0)) == 58
