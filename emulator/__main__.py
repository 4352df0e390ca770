"""Run the emulator standalone: ``python -m emulator --port 8081 --token 123:ABC``.

Out-of-process clients drive it through the /_emulator control endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from .core import BotApiEmulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--bot-username", default="chibo_test_bot")
    parser.add_argument("--bot-first-name", default="Chibo")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per call")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    emu = BotApiEmulator(args.token, args.bot_username, args.bot_first_name)
    emu.latency = args.latency
    await emu.start(args.host, args.port)
    print(f"base_url={emu.base_url}", flush=True)
    print(f"base_file_url={emu.base_file_url}", flush=True)
    print(f"control={emu.url}/_emulator/", flush=True)
    stopping = asyncio.Event()
    # A supervising process (a demo script, a test) ends us with SIGTERM; stop cleanly.
    with contextlib.suppress(NotImplementedError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    try:
        await stopping.wait()
    finally:
        await emu.stop()


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
