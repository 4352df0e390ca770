"""Server-side text formatting: parse_mode parsing into plain text plus entities.

Telegram parses HTML/Markdown on the server and rejects malformed markup with a 400. Doing
the same here is what lets tests catch the classic bug of interpolating an unescaped user
name ("<Bob>") into an HTML message. Offsets follow the Bot API: UTF-16 code units for
entities, UTF-8 bytes in error messages (as tdlib reports them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request

JSONDict = dict[str, Any]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_formatted(
    text: str, parse_mode: str | None, entities: Any = None
) -> tuple[str, list[JSONDict]]:
    """Plain text and entities for ``text`` sent with ``parse_mode`` or explicit ``entities``."""
    # Explicit entities win over parse_mode, as on Telegram.
    if isinstance(entities, list):
        return text, [e for e in entities if isinstance(e, dict)]
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        parser: _Parser = _HtmlParser(text)
    elif mode == "markdownv2":
        parser = _MarkdownV2Parser(text)
    elif mode == "markdown":
        parser = _MarkdownParser(text)
    else:
        raise bad_request("unsupported parse_mode")
    return parser.run()


def command_entity(text: str) -> list[JSONDict]:
    """The bot_command entity a Telegram client attaches to a message starting with "/"."""
    if not text.startswith("/"):
        return []
    word = text.split(maxsplit=1)[0] if text.strip() else text
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(word)}]


@dataclass
class _Open:
    kind: str
    start: int
    byte_offset: int
    attrs: dict[str, str] = field(default_factory=dict)
    language: str | None = None


class _Parser:
    def __init__(self, text: str) -> None:
        self.src = text
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[JSONDict] = []

    def emit(self, chunk: str) -> None:
        if chunk:
            self.parts.append(chunk)
            self.pos += utf16_len(chunk)

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def error(self, detail: str) -> ApiError:
        return bad_request(f"can't parse entities: {detail}")

    def add_entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.pos - start
        # Telegram silently drops formatting that covers no text.
        if length <= 0:
            return
        entity: JSONDict = {"type": kind, "offset": start, "length": length}
        entity.update({k: v for k, v in extra.items() if v is not None})
        self.entities.append(entity)

    def run(self) -> tuple[str, list[JSONDict]]:
        self.parse()
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities

    def parse(self) -> None:
        raise NotImplementedError


_HTML_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'", "nbsp": "\u00a0"}
_HTML_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ATTR_NAME = re.compile(r"[a-zA-Z0-9_-]+")


def _decode_html_entity(match: re.Match[str]) -> str | None:
    body = match.group(1)
    try:
        if body.startswith(("#x", "#X")):
            return chr(int(body[2:], 16))
        if body.startswith("#"):
            return chr(int(body[1:]))
    except (ValueError, OverflowError):
        return None
    return _NAMED_ENTITIES.get(body.lower())


def _unescape_attr(value: str) -> str:
    def repl(match: re.Match[str]) -> str:
        decoded = _decode_html_entity(match)
        return match.group(0) if decoded is None else decoded

    return _HTML_ENTITY.sub(repl, value)


class _HtmlParser(_Parser):
    def parse(self) -> None:
        text = self.src
        n = len(text)
        stack: list[_Open] = []
        i = 0
        while i < n:
            char = text[i]
            if char == "&":
                match = _HTML_ENTITY.match(text, i)
                decoded = _decode_html_entity(match) if match else None
                if match and decoded is not None:
                    self.emit(decoded)
                    i = match.end()
                else:
                    # tdlib keeps a stray ampersand literally.
                    self.emit("&")
                    i += 1
                continue
            if char != "<":
                j = i
                while j < n and text[j] not in "<&":
                    j += 1
                self.emit(text[i:j])
                i = j
                continue
            begin = i
            if text.startswith("</", i):
                end = text.find(">", i)
                if end == -1:
                    raise self.error(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
                name = text[i + 2 : end].strip().lower()
                if not stack:
                    raise self.error(
                        f'Unexpected end tag "{name}" at byte offset {self.byte_offset(begin)}'
                    )
                top = stack.pop()
                if name and name != top.kind:
                    raise self.error(
                        f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                        f'expected "</{top.kind}>", found "</{name}>"'
                    )
                self._close(top, stack)
                i = end + 1
                continue
            i = self._open_tag(begin, stack)
        if stack:
            raise self.error(f'Can\'t find end tag corresponding to start tag "{stack[-1].kind}"')

    def _open_tag(self, begin: int, stack: list[_Open]) -> int:
        text = self.src
        n = len(text)
        j = begin + 1
        while j < n and not text[j].isspace() and text[j] not in ">/":
            j += 1
        if j >= n:
            raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = text[begin + 1 : j].lower()
        if name not in _HTML_TAG_TYPES:
            raise self.error(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        attrs: dict[str, str] = {}
        k = j
        while True:
            while k < n and text[k].isspace():
                k += 1
            if k >= n:
                raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if text[k] == ">":
                k += 1
                break
            if text.startswith("/>", k):
                k += 2
                break
            match = _ATTR_NAME.match(text, k)
            if not match:
                raise self.error(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            attr = match.group(0).lower()
            k = match.end()
            while k < n and text[k].isspace():
                k += 1
            if k >= n or text[k] != "=":
                attrs[attr] = ""
                continue
            k += 1
            while k < n and text[k].isspace():
                k += 1
            if k < n and text[k] in "\"'":
                quote = text[k]
                end = text.find(quote, k + 1)
                if end == -1:
                    raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
                value = text[k + 1 : end]
                k = end + 1
            else:
                end = k
                while end < n and not text[end].isspace() and text[end] != ">":
                    end += 1
                value = text[k:end]
                k = end
            attrs[attr] = _unescape_attr(value)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise self.error(
                "Custom emoji entity must contain a tg://emoji URL or an emoji-id attribute"
            )
        stack.append(_Open(name, self.pos, self.byte_offset(begin), attrs))
        return k

    def _close(self, top: _Open, stack: list[_Open]) -> None:
        kind = _HTML_TAG_TYPES[top.kind]
        if top.kind == "code":
            language = top.attrs.get("class", "")
            if stack and stack[-1].kind == "pre" and stack[-1].start == top.start:
                # <pre><code class="language-x"> is one pre entity with a language.
                if language.startswith("language-"):
                    stack[-1].language = language[len("language-") :]
                return
            self.add_entity("code", top.start)
        elif top.kind == "pre":
            self.add_entity("pre", top.start, language=top.language)
        elif top.kind == "a":
            href = top.attrs.get("href")
            if href:
                self.add_entity("text_link", top.start, url=href)
        elif top.kind == "blockquote":
            kind = "expandable_blockquote" if "expandable" in top.attrs else "blockquote"
            self.add_entity(kind, top.start)
        elif top.kind == "tg-emoji":
            self.add_entity("custom_emoji", top.start, custom_emoji_id=top.attrs["emoji-id"])
        else:
            self.add_entity(kind, top.start)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "link": "TextUrl",
    "emoji": "CustomEmoji",
}


class _MarkdownV2Parser(_Parser):
    def parse(self) -> None:
        text = self.src
        n = len(text)
        stack: list[_Open] = []
        quote_start: int | None = None
        i = 0
        while i < n:
            char = text[i]
            at_line_start = i == 0 or text[i - 1] == "\n"
            if char == "\\" and i + 1 < n and 0 < ord(text[i + 1]) < 127:
                self.emit(text[i + 1])
                i += 2
                continue
            if char == "\n" and quote_start is not None and not text.startswith(">", i + 1):
                self.add_entity("blockquote", quote_start)
                quote_start = None
            if char not in _MDV2_RESERVED:
                self.emit(char)
                i += 1
                continue
            top = stack[-1] if stack else None
            top_kind = top.kind if top else None
            if char == ">" and at_line_start:
                if quote_start is None:
                    quote_start = self.pos
                i += 1
            elif char == "`":
                i = self._code(i)
            elif char == "*":
                i = self._toggle(stack, "bold", i, 1)
            elif char == "~":
                i = self._toggle(stack, "strikethrough", i, 1)
            elif char == "_":
                if top_kind == "italic":
                    i = self._toggle(stack, "italic", i, 1)
                elif text.startswith("__", i):
                    i = self._toggle(stack, "underline", i, 2)
                else:
                    i = self._toggle(stack, "italic", i, 1)
            elif char == "|" and text.startswith("||", i):
                i = self._toggle(stack, "spoiler", i, 2)
            elif char == "[":
                stack.append(_Open("link", self.pos, self.byte_offset(i)))
                i += 1
            elif char == "!" and text.startswith("![", i):
                stack.append(_Open("emoji", self.pos, self.byte_offset(i)))
                i += 2
            elif char == "]" and top is not None and top_kind in ("link", "emoji"):
                stack.pop()
                i = self._link_target(top, i + 1)
            else:
                raise self.error(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
        if stack:
            top = stack[-1]
            raise self.error(
                f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset {top.byte_offset}"
            )
        if quote_start is not None:
            self.add_entity("blockquote", quote_start)

    def _toggle(self, stack: list[_Open], kind: str, i: int, width: int) -> int:
        if stack and stack[-1].kind == kind:
            top = stack.pop()
            self.add_entity(kind, top.start)
        else:
            stack.append(_Open(kind, self.pos, self.byte_offset(i)))
        return i + width

    def _link_target(self, top: _Open, i: int) -> int:
        text = self.src
        if not text.startswith("(", i):
            # "[text]" without a target keeps the text and drops the link.
            return i
        j = i + 1
        url: list[str] = []
        while j < len(text) and text[j] != ")":
            if text[j] == "\\" and j + 1 < len(text):
                url.append(text[j + 1])
                j += 2
                continue
            url.append(text[j])
            j += 1
        if j >= len(text):
            raise self.error(f"Can't find end of a URL at byte offset {self.byte_offset(i)}")
        target = "".join(url)
        if top.kind == "emoji":
            emoji_id = target.split("id=", 1)[1] if "id=" in target else ""
            if not emoji_id:
                raise self.error("Custom emoji URL must have an emoji identifier")
            self.add_entity("custom_emoji", top.start, custom_emoji_id=emoji_id)
        elif target:
            self.add_entity("text_link", top.start, url=target)
        return j + 1

    def _code(self, i: int) -> int:
        text = self.src
        if text.startswith("```", i):
            j = i + 3
            language: str | None = None
            newline = text.find("\n", j)
            fence = text.find("```", j)
            if newline != -1 and (fence == -1 or newline < fence):
                header = text[j:newline]
                if header and not any(c.isspace() or c == "`" for c in header):
                    language = header
                    j = newline + 1
            end, body = self._scan_code(j, "```")
            if end == -1:
                raise self.error(
                    f"Can't find end of Pre entity at byte offset {self.byte_offset(i)}"
                )
            start = self.pos
            self.emit(body)
            self.add_entity("pre", start, language=language)
            return end + 3
        end, body = self._scan_code(i + 1, "`")
        if end == -1:
            raise self.error(f"Can't find end of Code entity at byte offset {self.byte_offset(i)}")
        start = self.pos
        self.emit(body)
        self.add_entity("code", start)
        return end + 1

    def _scan_code(self, j: int, fence: str) -> tuple[int, str]:
        text = self.src
        body: list[str] = []
        while j < len(text):
            if text[j] == "\\" and j + 1 < len(text) and 0 < ord(text[j + 1]) < 127:
                body.append(text[j + 1])
                j += 2
                continue
            if text.startswith(fence, j):
                return j, "".join(body)
            body.append(text[j])
            j += 1
        return -1, ""


class _MarkdownParser(_Parser):
    """Legacy "Markdown": flat entities, no nesting, only _ * ` [ are special."""

    def parse(self) -> None:
        text = self.src
        n = len(text)
        i = 0
        while i < n:
            char = text[i]
            if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
                self.emit(text[i + 1])
                i += 2
                continue
            if char not in "_*`[":
                self.emit(char)
                i += 1
                continue
            begin = i
            if char == "[":
                close = text.find("]", i + 1)
                if close == -1:
                    raise self._unterminated(begin)
                start = self.pos
                self.emit(text[i + 1 : close])
                i = close + 1
                if text.startswith("(", i):
                    end = text.find(")", i)
                    if end == -1:
                        raise self._unterminated(begin)
                    self.add_entity("text_link", start, url=text[i + 1 : end])
                    i = end + 1
                continue
            if char == "`" and text.startswith("```", i):
                end = text.find("```", i + 3)
                if end == -1:
                    raise self._unterminated(begin)
                body = text[i + 3 : end]
                language: str | None = None
                first, sep, rest = body.partition("\n")
                if sep and first and " " not in first:
                    language, body = first, rest
                start = self.pos
                self.emit(body)
                self.add_entity("pre", start, language=language)
                i = end + 3
                continue
            end = text.find(char, i + 1)
            if end == -1:
                raise self._unterminated(begin)
            start = self.pos
            self.emit(text[i + 1 : end])
            kind = {"_": "italic", "*": "bold", "`": "code"}[char]
            self.add_entity(kind, start)
            i = end + 1

    def _unterminated(self, begin: int) -> ApiError:
        return self.error(
            f"Can't find end of the entity starting at byte offset {self.byte_offset(begin)}"
        )
