#!/usr/bin/env python3
"""Writes PNG fixtures for Offramp's decoder tests, from an encoder independent of Offramp.

Run with Debian's Python, which has PIL (a tool for developers, never a runtime dependency of Offramp):
    /usr/bin/python3 tools/gen_png_fixtures.py [--out tests/Offramp.Tests/Fixtures/png]

Writes small PNGs and expected.json. PIL writes the common layouts (grey, RGB, RGBA, grey+alpha, palette at
8 and 4 bits, palette/grey/RGB transparency, 1-bit, 16-bit grey; PIL picks filters adaptively). Layouts PIL
cannot write (16-bit RGB/RGBA, Adam7 interlacing, 2-bit grey) are written by the small raw writer below, which
cycles through all five filter types row by row; every raw file is read back with PIL and PIL's pixels are the
expected ones, so PIL is the oracle for all of them.

expected.json holds, per file, the 8-bit pixels Offramp must produce: row-major, channels interleaved,
16-bit samples reduced to their high byte, palette expanded to RGB (RGBA with tRNS), a tRNS colour key
turned into an alpha channel, 1/2/4-bit grey scaled to 0..255. It also holds PIL's convert("L") of the RGB
image and PIL resizes of the grey image, to check ByteImage.ToChannels and ByteImage.Resize.
Images come from random.Random(1234); the output is deterministic for a given PIL and zlib.
"""
import argparse
import json
import os
import random
import struct
import zlib

from PIL import Image

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_row(kind, row, prior, bpp):
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i] if prior is not None else 0
        c = prior[i - bpp] if prior is not None and i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out[i] = (x - pred) & 0xFF
    return bytes([kind]) + bytes(out)


def pack_row(samples, depth):
    """Samples (ints) to bytes at the given bit depth, big-endian, MSB first."""
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def write_raw_png(path, rows, width, height, depth, color_type, spp, interlace):
    """rows[y][x] is a tuple of spp samples. Filters cycle None, Sub, Up, Average, Paeth by row."""
    bpp = max(1, spp * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw, n = bytearray(), 0
    for x0, y0, dx, dy in passes:
        xs, ys = range(x0, width, dx), range(y0, height, dy)
        if not xs or not ys:
            continue
        prior = None
        for y in ys:
            line = pack_row([s for x in xs for s in rows[y][x]], depth)
            raw += filter_row(n % 5, line, prior, bpp)
            prior, n = line, n + 1
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlace else 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    data += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def noise_image(rnd, width, height, channels, hi=255):
    """A gradient plus noise, so every filter type has non-trivial residuals."""
    return [[tuple(min(hi, (x * 37 + y * 23 + c * 61) * hi // 600 + rnd.randrange(hi // 8 + 1))
                   for c in range(channels)) for x in range(width)] for y in range(height)]


def flat(rows):
    return [s for row in rows for px in row for s in px]


def pil_pixels(path):
    """The 8-bit pixels PIL decodes, laid out as Offramp's expected output."""
    im = Image.open(path)
    im.load()
    if im.mode in ("I", "I;16"):
        return [v >> 8 for v in im.getdata()], 1
    if im.mode == "1":
        return [255 if v else 0 for v in im.getdata()], 1
    if im.mode == "P":
        has_trns = "transparency" in im.info
        im = im.convert("RGBA" if has_trns else "RGB")
    if im.mode == "L" and "transparency" in im.info:
        key = im.info["transparency"]
        return [s for v in im.getdata() for s in (v, 0 if v == key else 255)], 2
    if im.mode == "RGB" and "transparency" in im.info:
        key = tuple(im.info["transparency"])
        return [s for v in im.getdata() for s in (*v, 0 if v == key else 255)], 4
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[im.mode]
    data = list(im.getdata())
    return ([s for px in data for s in px] if channels > 1 else data), channels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/Offramp.Tests/Fixtures/png")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rnd = random.Random(1234)
    cases = {}

    def pil_case(name, im, **save):
        path = os.path.join(args.out, name)
        im.save(path, **save)
        cases[name] = path

    def from_rows(mode, rows):
        im = Image.new(mode, (len(rows[0]), len(rows)))
        im.putdata([px if len(px) > 1 else px[0] for row in rows for px in row])
        return im

    pil_case("grey8.png", from_rows("L", noise_image(rnd, 13, 7, 1)))
    pil_case("rgb8.png", from_rows("RGB", noise_image(rnd, 13, 7, 3)))
    pil_case("rgba8.png", from_rows("RGBA", noise_image(rnd, 11, 6, 4)))
    pil_case("greyalpha8.png", from_rows("LA", noise_image(rnd, 9, 5, 2)))
    pal = Image.new("P", (12, 6))
    pal.putpalette([rnd.randrange(256) for _ in range(20 * 3)])
    pal.putdata([rnd.randrange(20) for _ in range(12 * 6)])
    pil_case("palette8.png", pal)
    pil_case("palette8_trns.png", pal, transparency=bytes([0, 128, 255, 64, 7]))
    pal4 = Image.new("P", (11, 5))
    pal4.putpalette([rnd.randrange(256) for _ in range(16 * 3)])
    pal4.putdata([rnd.randrange(16) for _ in range(11 * 5)])
    pil_case("palette4.png", pal4, bits=4)
    bw = Image.new("1", (13, 5))
    bw.putdata([rnd.randrange(2) * 255 for _ in range(13 * 5)])
    pil_case("grey1.png", bw)
    grey16 = Image.new("I;16", (13, 7))
    grey16.putdata([rnd.randrange(65536) for _ in range(13 * 7)])
    pil_case("grey16.png", grey16)
    key_img = from_rows("L", noise_image(rnd, 8, 4, 1))
    key_img.putpixel((2, 1), 77)
    key_img.putpixel((5, 3), 77)
    pil_case("grey8_trns.png", key_img, transparency=77)
    rgb_key = from_rows("RGB", noise_image(rnd, 8, 4, 3))
    rgb_key.putpixel((1, 2), (10, 20, 30))
    pil_case("rgb8_trns.png", rgb_key, transparency=(10, 20, 30))

    raw_cases = [
        ("rgb16.png", 7, 5, 16, 2, 3, False),
        ("rgba16.png", 6, 5, 16, 6, 4, False),
        ("grey2.png", 11, 4, 2, 0, 1, False),
        ("interlaced_rgb8.png", 13, 11, 8, 2, 3, True),
        ("interlaced_grey2.png", 10, 9, 2, 0, 1, True),
        ("interlaced_rgba16.png", 9, 10, 16, 6, 4, True),
        ("interlaced_tiny.png", 3, 2, 8, 0, 1, True),
    ]
    for name, w, h, depth, color_type, spp, interlace in raw_cases:
        rows = noise_image(rnd, w, h, spp, (1 << depth) - 1)
        path = os.path.join(args.out, name)
        write_raw_png(path, rows, w, h, depth, color_type, spp, interlace)
        cases[name] = path
        # PIL is the oracle; it must agree with what was written (8-bit view: 16-bit high byte, 2-bit × 85).
        scale = {16: lambda v: v >> 8, 8: lambda v: v, 2: lambda v: v * 85}[depth]
        if pil_pixels(path)[0] != [scale(v) for v in flat(rows)]:
            raise AssertionError(f"PIL reads {name} differently from what was written")

    expected = {"files": {}}
    for name, path in sorted(cases.items()):
        im = Image.open(path)
        pixels, channels = pil_pixels(path)
        expected["files"][name] = {"width": im.width, "height": im.height, "channels": channels,
                                   "interlaced": bool(im.info.get("interlace")), "pixels": pixels}

    rgb = Image.open(os.path.join(args.out, "rgb8.png"))
    expected["luma"] = {"source": "rgb8.png", "pixels": list(rgb.convert("L").getdata())}
    grey = Image.open(os.path.join(args.out, "grey8.png"))
    resizes = []
    for w, h, name, flt in [(5, 3, "bilinear", Image.BILINEAR), (28, 28, "bilinear", Image.BILINEAR),
                            (4, 9, "bilinear", Image.BILINEAR), (5, 3, "nearest", Image.NEAREST),
                            (28, 28, "nearest", Image.NEAREST)]:
        resizes.append({"source": "grey8.png", "width": w, "height": h, "filter": name,
                        "pixels": list(grey.resize((w, h), flt).getdata())})
    expected["resize"] = resizes
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")
    print(f"wrote {len(cases)} PNGs and expected.json to {args.out}")


if __name__ == "__main__":
    main()
