"""The dashboard's rules that need no database: which year or quarter may be looked at and
which period that is, the pages of a long list, and the launch data Telegram signs.

The signed launch data is built here as Telegram's documentation describes it
(core.telegram.org/bots/webapps, "Validating data received via the Mini App"), without
domain.webapp's own helpers: the fields but ``hash`` as sorted ``key=value`` lines, signed
with HMAC-SHA256 under the HMAC-SHA256 of the bot token keyed with "WebAppData".
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from domain.dashboard import Lens, NoSuchView, Page
from domain.digest import Period
from domain.webapp import InitDataRefused, Refusal, WebAppUser, verified_user
from tests.conftest import VIETNAM

# --- which year or quarter, and which period ------------------------------------------------


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


MID_AUGUST = local(2026, 8, 14, 10)
# The last minute of the year and the first of the next, local time: in UTC both are still
# 31 December (Asia/Ho_Chi_Minh is UTC+7).
YEAR_ENDING = local(2026, 12, 31, 23, 59)
YEAR_BEGUN = local(2027, 1, 1, 0, 0)


def test_the_current_year_when_none_is_asked() -> None:
    assert Lens.chosen(None, None, MID_AUGUST, VIETNAM) == Lens(2026, None)
    assert Lens.chosen(None, None, YEAR_ENDING, VIETNAM) == Lens(2026, None)
    assert Lens.chosen(None, None, YEAR_BEGUN.astimezone(UTC), VIETNAM) == Lens(2027, None)


@pytest.mark.parametrize(
    ("now", "shown", "refused"),
    [
        # Five years back, this one included; none to come.
        (MID_AUGUST, [2022, 2023, 2024, 2025, 2026], [2021, 2027, 2100]),
        (YEAR_ENDING, [2022, 2026], [2021, 2027]),
        (YEAR_BEGUN.astimezone(UTC), [2023, 2027], [2022, 2028]),
    ],
)
def test_a_year_to_come_or_beyond_five_back_is_refused(
    now: datetime, shown: list[int], refused: list[int]
) -> None:
    for year in shown:
        assert Lens.chosen(year, None, now, VIETNAM) == Lens(year, None)
    for year in refused:
        with pytest.raises(NoSuchView):
            Lens.chosen(year, None, now, VIETNAM)


def test_a_quarter_not_yet_begun_is_refused() -> None:
    last_minute_of_q3 = local(2026, 9, 30, 23, 59)
    first_minute_of_q4 = local(2026, 10, 1, 0, 0)
    with pytest.raises(NoSuchView):
        Lens.chosen(2026, 4, last_minute_of_q3, VIETNAM)
    assert Lens.chosen(2026, 4, first_minute_of_q4, VIETNAM) == Lens(2026, 4)
    assert Lens.chosen(2026, 3, last_minute_of_q3, VIETNAM) == Lens(2026, 3)
    # The same minute in UTC (16:59 and 17:00 on 30 September) is judged in local time.
    with pytest.raises(NoSuchView):
        Lens.chosen(2026, 4, last_minute_of_q3.astimezone(UTC), VIETNAM)
    assert Lens.chosen(2026, 4, first_minute_of_q4.astimezone(UTC), VIETNAM) == Lens(2026, 4)
    # Across the year: the new year's first quarter has begun, its second not; every
    # quarter of the year gone by may be looked at.
    assert Lens.chosen(None, 1, YEAR_BEGUN, VIETNAM) == Lens(2027, 1)
    with pytest.raises(NoSuchView):
        Lens.chosen(None, 2, YEAR_BEGUN, VIETNAM)
    with pytest.raises(NoSuchView):
        Lens.chosen(2027, 1, YEAR_ENDING, VIETNAM)
    assert Lens.chosen(2026, 4, YEAR_BEGUN, VIETNAM) == Lens(2026, 4)


@pytest.mark.parametrize("quarter", [0, 5, -1])
def test_no_quarter_outside_one_to_four(quarter: int) -> None:
    with pytest.raises(NoSuchView):
        Lens.chosen(2025, quarter, MID_AUGUST, VIETNAM)


@pytest.mark.parametrize(
    ("lens", "now", "expected"),
    [
        # The year so far: from 1 January to the end of the current month.
        (Lens(2026), MID_AUGUST, Period(local(2026, 1, 1), local(2026, 9, 1))),
        (Lens(2026), local(2026, 8, 31, 23, 59), Period(local(2026, 1, 1), local(2026, 9, 1))),
        (Lens(2026), local(2026, 9, 1, 0, 0), Period(local(2026, 1, 1), local(2026, 10, 1))),
        (Lens(2026), local(2026, 1, 1, 0, 0), Period(local(2026, 1, 1), local(2026, 2, 1))),
        # Across the year's end, local time: December's, then the new January's.
        (Lens(2026), YEAR_ENDING, Period(local(2026, 1, 1), local(2027, 1, 1))),
        (Lens(2026), YEAR_ENDING.astimezone(UTC), Period(local(2026, 1, 1), local(2027, 1, 1))),
        (Lens(2027), YEAR_BEGUN, Period(local(2027, 1, 1), local(2027, 2, 1))),
        (Lens(2027), YEAR_BEGUN.astimezone(UTC), Period(local(2027, 1, 1), local(2027, 2, 1))),
        # A year gone by: the whole of it.
        (Lens(2026), YEAR_BEGUN, Period(local(2026, 1, 1), local(2027, 1, 1))),
        (Lens(2023), MID_AUGUST, Period(local(2023, 1, 1), local(2024, 1, 1))),
        # A quarter: whole, its months still ahead included.
        (Lens(2026, 3), MID_AUGUST, Period(local(2026, 7, 1), local(2026, 10, 1))),
        (Lens(2026, 4), local(2026, 10, 1, 0, 0), Period(local(2026, 10, 1), local(2027, 1, 1))),
        (Lens(2026, 4), YEAR_BEGUN, Period(local(2026, 10, 1), local(2027, 1, 1))),
        (Lens(2027, 1), YEAR_BEGUN, Period(local(2027, 1, 1), local(2027, 4, 1))),
    ],
)
def test_the_period_a_view_covers(lens: Lens, now: datetime, expected: Period) -> None:
    period = lens.period(now, VIETNAM)
    assert period == expected
    # Local midnights, not UTC ones.
    for moment in (period.start, period.end):
        assert moment.astimezone(VIETNAM).time() == datetime.min.time()


# --- the pages of a long list --------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "items", "expected"),
    [
        (None, 0, Page(1, 1)),  # nothing to list is still one (empty) page
        (None, 120, Page(1, 3)),
        (2, 120, Page(2, 3)),
        (3, 120, Page(3, 3)),
        (4, 120, Page(3, 3)),  # beyond the last: the last
        (99, 120, Page(3, 3)),
        (0, 120, Page(1, 3)),  # before the first: the first
        (-2, 120, Page(1, 3)),
        (3, 100, Page(2, 2)),  # exactly two pages full
        (3, 101, Page(3, 3)),
        (1, 50, Page(1, 1)),
        (2, 51, Page(2, 2)),
    ],
)
def test_the_page_asked_for_is_held_within_the_pages(
    asked: int | None, items: int, expected: Page
) -> None:
    assert Page.of(asked, items, per_page=50) == expected


def test_a_page_holds_its_share_of_the_items() -> None:
    items = list(range(120))
    assert items[Page.of(1, 120, per_page=50).slice(50)] == list(range(0, 50))
    assert items[Page.of(3, 120, per_page=50).slice(50)] == list(range(100, 120))
    assert items[Page.of(7, 120, per_page=50).slice(50)] == list(range(100, 120))


# --- launch data ---------------------------------------------------------------------------

TOKEN = "123456:TEST-TOKEN-do-not-log-me"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
MAX_AGE = timedelta(hours=24)
AN = {"id": 424242, "first_name": "Nguyễn", "last_name": "Văn An", "language_code": "vi"}


def signature(fields: dict[str, str], token: str = TOKEN) -> str:
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    lines = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    return hmac.new(secret, lines.encode(), hashlib.sha256).hexdigest()


def launch_fields(
    user: object = AN, signed_at: datetime = NOW - timedelta(minutes=3)
) -> dict[str, str]:
    return {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": user if isinstance(user, str) else json.dumps(user, ensure_ascii=False),
        "auth_date": str(int(signed_at.timestamp())),
    }


def signed(fields: dict[str, str], token: str = TOKEN) -> str:
    """The launch data as Telegram hands it to the page: a URL query, its hash last."""
    return urlencode({**fields, "hash": signature(fields, token)})


def refusal(init_data: str | None) -> Refusal:
    with pytest.raises(InitDataRefused) as refused:
        verified_user(init_data, TOKEN, NOW, MAX_AGE)
    return refused.value.refusal


def test_launch_data_signed_for_this_bot_names_its_user() -> None:
    assert verified_user(signed(launch_fields()), TOKEN, NOW, MAX_AGE) == WebAppUser(
        424242, "Nguyễn Văn An", "vi"
    )
    # Only a first name, no language: the name alone, and the language unknown.
    bare = launch_fields({"id": 7, "first_name": "Lan"})
    assert verified_user(signed(bare), TOKEN, NOW, MAX_AGE) == WebAppUser(7, "Lan", None)


def test_launch_data_changed_after_signing_is_forged() -> None:
    fields = launch_fields()
    hash_ = signature(fields)
    another = {**fields, "user": json.dumps({**AN, "id": 1}, ensure_ascii=False)}
    assert refusal(urlencode({**another, "hash": hash_})) is Refusal.FORGED
    later = {**fields, "auth_date": str(int(NOW.timestamp()))}
    assert refusal(urlencode({**later, "hash": hash_})) is Refusal.FORGED
    added = {**fields, "start_param": "cell-7"}
    assert refusal(urlencode({**added, "hash": hash_})) is Refusal.FORGED


def test_launch_data_signed_with_another_token_is_forged() -> None:
    assert refusal(signed(launch_fields(), "654321:ANOTHER-BOT")) is Refusal.FORGED


def test_launch_data_without_its_hash_is_forged() -> None:
    assert refusal(urlencode(launch_fields())) is Refusal.FORGED
    assert refusal(urlencode({**launch_fields(), "hash": ""})) is Refusal.FORGED


def test_no_launch_data_is_missing() -> None:
    assert refusal(None) is Refusal.MISSING
    assert refusal("") is Refusal.MISSING


def test_a_field_given_twice_is_malformed() -> None:
    fields = launch_fields()
    # Whichever copy the signature covers, the data is ambiguous: refused either way.
    assert refusal(signed(fields) + "&auth_date=" + fields["auth_date"]) is Refusal.MALFORMED
    assert refusal(signed(fields) + "&user=" + fields["user"]) is Refusal.MALFORMED


def test_launch_data_older_than_the_maximum_age_has_expired() -> None:
    at_the_limit = launch_fields(signed_at=NOW - MAX_AGE)
    assert verified_user(signed(at_the_limit), TOKEN, NOW, MAX_AGE).telegram_user_id == 424242
    a_second_older = launch_fields(signed_at=NOW - MAX_AGE - timedelta(seconds=1))
    assert refusal(signed(a_second_older)) is Refusal.EXPIRED
    assert refusal(signed(launch_fields(signed_at=NOW - timedelta(days=30)))) is Refusal.EXPIRED


def test_launch_data_dated_ahead_beyond_five_minutes_is_refused() -> None:
    skewed = launch_fields(signed_at=NOW + timedelta(minutes=5))
    assert verified_user(signed(skewed), TOKEN, NOW, MAX_AGE).telegram_user_id == 424242
    ahead = launch_fields(signed_at=NOW + timedelta(minutes=5, seconds=1))
    assert refusal(signed(ahead)) is Refusal.EXPIRED
    assert refusal(signed(launch_fields(signed_at=NOW + timedelta(days=1)))) is Refusal.EXPIRED


@pytest.mark.parametrize("auth_date", ["", "yesterday", "1.5e9", "99999999999999999999"])
def test_a_signed_auth_date_that_is_no_time_is_malformed(auth_date: str) -> None:
    assert refusal(signed({**launch_fields(), "auth_date": auth_date})) is Refusal.MALFORMED


def test_a_signed_date_is_required() -> None:
    fields = launch_fields()
    del fields["auth_date"]
    assert refusal(signed(fields)) is Refusal.MALFORMED


@pytest.mark.parametrize(
    "user",
    [
        "not json",  # not JSON at all
        "[424242]",  # JSON, not an object
        {"first_name": "An"},  # no id
        {"id": True, "first_name": "An"},  # a JSON true is no user id
        {"id": "424242", "first_name": "An"},  # nor a string
        {"id": 424242.0, "first_name": "An"},  # nor a float
        {"id": None, "first_name": "An"},
    ],
)
def test_a_signed_user_that_names_no_one_is_malformed(user: object) -> None:
    assert refusal(signed(launch_fields(user))) is Refusal.MALFORMED


def test_launch_data_without_a_user_is_malformed() -> None:
    fields = launch_fields()
    del fields["user"]
    assert refusal(signed(fields)) is Refusal.MALFORMED


def test_launch_data_far_longer_than_telegrams_is_refused_unread() -> None:
    # Signed and otherwise valid, padded to the limit (8 KiB) and one character beyond.
    fields = {**launch_fields(), "start_param": ""}
    fields["start_param"] = "a" * (8192 - len(signed(fields)))
    at_the_limit = signed(fields)
    assert len(at_the_limit) == 8192
    assert verified_user(at_the_limit, TOKEN, NOW, MAX_AGE).telegram_user_id == 424242
    fields["start_param"] += "a"
    assert refusal(signed(fields)) is Refusal.MALFORMED
