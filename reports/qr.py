"""QR codes (PNG) of links, to show on a screen or print."""

from __future__ import annotations

import io

import segno

# 16 pixels a module: a check-in link's code (version 5, whatever the bot's name) is 720
# pixels with its quiet zone, sharp when printed on A5 or shown on the room's screen.
MODULE_PIXELS = 16
QUIET_ZONE_MODULES = 4  # what the standard asks for around the code


def qr_png(content: str) -> bytes:
    """A QR code of ``content``. Error correction M at least (segno raises it when the code's
    size allows), so that a crease in the paper or the glare on a screen still reads."""
    code = segno.make_qr(content, error="m")
    png = io.BytesIO()
    code.save(png, kind="png", scale=MODULE_PIXELS, border=QUIET_ZONE_MODULES)
    return png.getvalue()
