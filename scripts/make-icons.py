"""Draws Tessera's icon (a small mosaic of rounded tiles) as RGBA PNGs, with the standard library only.

    python3 scripts/make-icons.py      # writes icons/*.png
"""
import struct
import zlib
from pathlib import Path

COLOURS = [(31, 122, 120), (228, 196, 140), (72, 160, 150), (196, 110, 80)]
GRID = [[0, 1, 2], [3, 0, 1], [2, 3, 0]]


def pixel(x, y, size):
    margin = size * 0.08
    cell = (size - 2 * margin) / 3
    gap = cell * 0.08
    radius = cell * 0.18
    fx, fy = x + 0.5 - margin, y + 0.5 - margin
    col, row = int(fx // cell), int(fy // cell)
    if not (0 <= col < 3 and 0 <= row < 3):
        return (0, 0, 0, 0)
    lx, ly = fx - col * cell, fy - row * cell
    lo, hi = gap, cell - gap
    if not (lo <= lx <= hi and lo <= ly <= hi):
        return (0, 0, 0, 0)
    # Rounded corners.
    cx = min(max(lx, lo + radius), hi - radius)
    cy = min(max(ly, lo + radius), hi - radius)
    if (lx - cx) ** 2 + (ly - cy) ** 2 > radius ** 2:
        return (0, 0, 0, 0)
    r, g, b = COLOURS[GRID[row][col]]
    return (r, g, b, 255)


def png(size):
    rows = b"".join(b"\0" + b"".join(bytes(pixel(x, y, size)) for x in range(size)) for y in range(size))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "icons"
    out.mkdir(exist_ok=True)
    for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
        (out / name).write_bytes(png(size))
        print("wrote", out / name)
