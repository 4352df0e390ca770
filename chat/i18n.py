"""Translation catalogues (Babel/gettext, compiled at install) and rendering of ``Text``."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.support import Translations

from domain.messages import N_, ArgValue, Text
from domain.roles import Language

# The catalogues stay in bot/locale, where hatch_build.py compiles them at install.
LOCALE_DIR = Path(__file__).parent.parent / "bot" / "locale"
DOMAIN = "chibo"
LANGUAGES = tuple(language.value for language in Language)


class CatalogueMissing(RuntimeError):
    pass


# Babel formats a moment field by field through its locale data at every call, which costs
# more than the rest of a button press's reply; the same moments (a meeting's start) come back
# press after press. Keyed on the local wall time and its zone: aware datetimes of one instant
# are equal whatever their zone.
@lru_cache(maxsize=4096)
def _format_local(wall: datetime, fold: int, zone: ZoneInfo, pattern: str, locale: str) -> str:
    return format_datetime(wall.replace(tzinfo=zone, fold=fold), pattern, locale=locale)


_format_date = lru_cache(maxsize=4096)(format_date)


class Translator:
    """Renders catalogue keys in a language; dates in the deployment's time zone."""

    def __init__(self, zone: ZoneInfo, default_language: str, locale_dir: Path = LOCALE_DIR):
        self.zone = zone
        self.default_language = default_language
        self._catalogues: dict[str, Translations] = {}
        for language in LANGUAGES:
            mo_file = locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if not mo_file.exists():
                raise CatalogueMissing(
                    f"{mo_file} is missing: the catalogues are compiled when the package is "
                    "installed (pip install -e .)"
                )
            with mo_file.open("rb") as handle:
                self._catalogues[language] = Translations(handle, domain=DOMAIN)

    def language(self, preferred: str | None) -> str:
        return preferred if preferred in self._catalogues else self.default_language

    def text(self, lang: str, key: str, **args: ArgValue) -> str:
        return self.render(Text(key, args), lang)

    def render(self, text: Text, lang: str) -> str:
        lang = self.language(lang)
        template = self._catalogues[lang].gettext(text.key)
        values = {name: self._value(value, lang) for name, value in text.args.items()}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            # A translator's typo in a placeholder must not silence the message.
            return template

    def format_datetime(self, moment: datetime, lang: str) -> str:
        pattern = self._catalogues[self.language(lang)].gettext(N_("format.datetime"))
        local = moment.astimezone(self.zone)
        wall = local.replace(tzinfo=None, fold=0)
        return _format_local(wall, local.fold, self.zone, pattern, self.language(lang))

    def format_day(self, day: date, lang: str) -> str:
        pattern = self._catalogues[self.language(lang)].gettext(N_("format.day"))
        return _format_date(day, pattern, locale=self.language(lang))

    def _value(self, value: ArgValue, lang: str) -> str:
        if isinstance(value, Text):
            return self.render(value, lang)
        if isinstance(value, list):
            return "\n".join(self.render(line, lang) for line in value)
        if isinstance(value, datetime):
            return self.format_datetime(value, lang)
        if isinstance(value, date):
            return self.format_day(value, lang)
        return str(value)
