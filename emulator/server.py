"""aiohttp routes: the Bot API, file downloads and the /_emulator control endpoints."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import ApiError, too_many_requests
from .faults import Fault
from .methods import SENDING_METHODS
from .models import ApiCall, JSONDict, SentMessage, Upload
from .params import decode_params

if TYPE_CHECKING:
    from .core import BotApiEmulator

# Uploads up to Telegram's 50 MB bot limit, plus multipart overhead.
MAX_BODY = 60 * 1024 * 1024

_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )


async def read_request(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Collect parameters from the query string and a form, multipart or JSON body."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if not request.body_exists:
        return raw, files
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: request body must be a JSON object")
        raw.update(body)
        return raw, files
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = Upload(value.filename, value.file.read(), value.content_type)
        elif isinstance(value, bytes | bytearray):
            files[name] = Upload(name, bytes(value), None)
        else:
            raw[name] = value
    return raw, files


class EmulatorServer:
    """Serves one emulator over HTTP; all state lives in the BotApiEmulator."""

    def __init__(self, emu: BotApiEmulator) -> None:
        self.emu = emu
        self.in_flight = 0
        self.polls_in_flight = 0
        self._polls_done = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.host = "127.0.0.1"

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        app.router.add_post("/_emulator/updates", self.control_updates)
        app.router.add_get("/_emulator/calls", self.control_calls)
        app.router.add_get("/_emulator/messages", self.control_messages)
        app.router.add_post("/_emulator/faults", self.control_faults)
        app.router.add_get("/_emulator/health", self.control_health)
        return app

    async def start(self, host: str, port: int) -> None:
        # handler_cancellation: a long poll whose client went away must stop waiting, or it
        # would keep serving updates into a dead connection.
        self._runner = web.AppRunner(
            self.build_app(), access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        address = self._runner.addresses[0]
        self.host, self.port = host, int(address[1])

    async def stop(self) -> None:
        if self.polls_in_flight:
            # Let long polls (already told to finish) answer before connections are cut.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._polls_done.wait(), 1.0)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- Bot API -----------------------------------------------------------------------

    async def handle_api(self, request: web.Request) -> web.StreamResponse:
        emu = self.emu
        method = emu.api.canonical(request.match_info["method"])
        at = emu.clock()
        if request.match_info["token"] != emu.token:
            error = ApiError(401, "Unauthorized")
            emu._record(ApiCall(method, {}, {}, at, 401, error.to_body()))
            return _json(error.to_body(), 401)
        try:
            raw, uploads = await read_request(request)
        except ApiError as exc:
            emu._record(ApiCall(method, {}, {}, at, exc.status, exc.to_body()))
            return _json(exc.to_body(), exc.status)
        except ValueError:
            error = ApiError(400, "Bad Request: can't parse request body")
            emu._record(ApiCall(method, {}, {}, at, 400, error.to_body()))
            return _json(error.to_body(), 400)
        params = decode_params(raw)
        files = {name: (u.filename, u.content) for name, u in uploads.items()}
        polling = method == "getUpdates"
        if polling:
            self.polls_in_flight += 1
            self._polls_done.clear()
        else:
            self.in_flight += 1
        try:
            if emu.latency > 0:
                await asyncio.sleep(emu.latency)
            fault = emu.faults.take(method)
            if fault is not None and fault.kind == "drop":
                emu._record(ApiCall(method, params, files, at, 0, None))
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            status, body = await self._answer(method, params, uploads, fault)
            emu._record(ApiCall(method, params, files, at, status, body))
            if fault is not None and fault.kind == "timeout":
                # The call took effect; only the answer is late, as when Telegram is slow.
                await asyncio.sleep(emu.timeout_delay)
            if status == 502:
                return web.Response(text=_BAD_GATEWAY_HTML, status=502, content_type="text/html")
            return _json(body, status)
        finally:
            if polling:
                self.polls_in_flight -= 1
                if not self.polls_in_flight:
                    self._polls_done.set()
            else:
                self.in_flight -= 1

    async def _answer(
        self, method: str, params: dict[str, Any], uploads: dict[str, Upload], fault: Fault | None
    ) -> tuple[int, JSONDict]:
        emu = self.emu
        if fault is not None and fault.kind == "429":
            emu.http_429_count += 1
            return 429, too_many_requests(fault.retry_after).to_body()
        if fault is not None and fault.kind in ("500", "502"):
            status = int(fault.kind)
            phrase = "Internal Server Error" if status == 500 else "Bad Gateway"
            return status, {"ok": False, "error_code": status, "description": phrase}
        if method.lower() in SENDING_METHODS and emu.limiter.enabled:
            chat_key, is_group = self._chat_key(params)
            retry_after = emu.limiter.check(chat_key, is_group, emu.clock())
            if retry_after is not None:
                emu.http_429_count += 1
                return 429, too_many_requests(retry_after).to_body()
        try:
            result = await emu.api.dispatch(method, params, uploads)
        except ApiError as exc:
            if exc.status == 429:
                emu.http_429_count += 1
            return exc.status, exc.to_body()
        return 200, {"ok": True, "result": result}

    def _chat_key(self, params: dict[str, Any]) -> tuple[str | None, bool]:
        chat_id = params.get("chat_id")
        if chat_id is None:
            return None, False
        chat = self.emu.world.chats.get(chat_id) if isinstance(chat_id, int) else None
        is_group = chat.is_group if chat is not None else isinstance(chat_id, int) and chat_id < 0
        return str(chat_id), is_group

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        emu = self.emu
        if request.match_info["token"] != emu.token:
            return _json(ApiError(401, "Unauthorized").to_body(), 401)
        if emu.latency > 0:
            await asyncio.sleep(emu.latency)
        stored = emu.world.files_by_path.get(request.match_info["path"])
        if stored is None or stored.content is None:
            return _json(ApiError(404, "Not Found").to_body(), 404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    # -- control endpoints -------------------------------------------------------------

    async def control_health(self, request: web.Request) -> web.Response:
        return _json({"ok": True, "base_url": self.emu.base_url})

    async def control_updates(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _json({"ok": False, "description": "body must be JSON"}, 400)
        if not isinstance(body, dict):
            return _json({"ok": False, "description": "body must be a JSON object"}, 400)
        try:
            update_id = self._control_update(body)
        except (LookupError, ValueError, TypeError) as exc:
            return _json({"ok": False, "description": str(exc)}, 400)
        return _json({"ok": True, "result": {"update_id": update_id}})

    def _control_update(self, body: JSONDict) -> int:
        emu = self.emu
        user_data = body.get("user")
        if not isinstance(user_data, dict):
            return emu.inject_update(body)
        user = emu.user(
            int(user_data["id"]),
            str(user_data.get("first_name") or f"User{user_data['id']}"),
            last_name=user_data.get("last_name"),
            username=user_data.get("username"),
            language_code=user_data.get("language_code"),
        )
        chat = emu.world.chats.get(int(body["chat_id"])) if "chat_id" in body else None
        if "press" in body:
            press = body["press"]
            message = emu.message(int(press["chat_id"]), int(press["message_id"]))
            if message is None:
                raise LookupError("no such message")
            return emu.press_button(
                user, message, press.get("text"), callback_data=press.get("callback_data")
            )
        if "document" in body:
            document = body["document"]
            return emu.send_document(
                user,
                file_name=str(document["file_name"]),
                content=base64.b64decode(document.get("content_base64", "")),
                mime_type=document.get("mime_type") or "application/octet-stream",
                caption=document.get("caption"),
                chat=chat,
            )
        if "text" in body:
            return emu.send_text(user, str(body["text"]), chat=chat)
        raise ValueError("expected one of text, press, document")

    async def control_calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = [
            {
                "method": call.method,
                "params": call.params,
                "files": {
                    name: {"filename": filename, "size": len(content)}
                    for name, (filename, content) in call.files.items()
                },
                "at": call.at,
                "status": call.status,
                "response": call.response,
            }
            for call in self.emu.calls(method)
        ]
        return _json({"ok": True, "result": calls})

    async def control_messages(self, request: web.Request) -> web.Response:
        try:
            chat_id = int(request.query["chat_id"])
        except (KeyError, ValueError):
            return _json({"ok": False, "description": "chat_id query parameter required"}, 400)
        every = request.query.get("all") in ("1", "true")
        messages = self.emu.history(chat_id) if every else self.emu.messages(chat_id)
        return _json({"ok": True, "result": [message_summary(m) for m in messages]})

    async def control_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            self.emu.fail_next(
                str(body["method"]),
                body["kind"],
                count=int(body.get("count", 1)),
                retry_after=int(body.get("retry_after", 1)),
            )
        except (KeyError, ValueError) as exc:
            return _json({"ok": False, "description": str(exc)}, 400)
        return _json({"ok": True, "result": True})


def message_summary(message: SentMessage) -> JSONDict:
    return {
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "from_bot": message.from_bot,
        "kind": message.kind,
        "text": message.text,
        "entities": message.entities,
        "reply_markup": message.reply_markup,
        "buttons": [[list(b) for b in row] for row in message.buttons()],
        "document": message.document,
        "photo": message.photo,
        "edits": message.edits,
        "deleted": message.deleted,
        "date": message.date,
    }
