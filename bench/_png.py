"""A tiny PNG line chart (zlib and struct only): matplotlib is not in .venv and the benchmarks add no dependency.

    line_chart(path, title, x_label, y_label, series=[(name, [(x, y), ...]), ...], log_x=False, marks=[...])

Text is drawn with a 5x7 bitmap font in capitals. Good enough to see a curve, not a publication plot.
"""

from __future__ import annotations

import math
import struct
import zlib

# 5x7 glyphs, one string of 5 bits per row.
_FONT = {
    ' ': ['00000'] * 7,
    '0': ['01110', '10001', '10011', '10101', '11001', '10001', '01110'],
    '1': ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
    '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
    '3': ['11110', '00001', '00001', '01110', '00001', '00001', '11110'],
    '4': ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
    '5': ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
    '6': ['00110', '01000', '10000', '11110', '10001', '10001', '01110'],
    '7': ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
    '8': ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
    '9': ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
    'A': ['01110', '10001', '10001', '11111', '10001', '10001', '10001'],
    'B': ['11110', '10001', '10001', '11110', '10001', '10001', '11110'],
    'C': ['01110', '10001', '10000', '10000', '10000', '10001', '01110'],
    'D': ['11100', '10010', '10001', '10001', '10001', '10010', '11100'],
    'E': ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
    'F': ['11111', '10000', '10000', '11110', '10000', '10000', '10000'],
    'G': ['01110', '10001', '10000', '10111', '10001', '10001', '01111'],
    'H': ['10001', '10001', '10001', '11111', '10001', '10001', '10001'],
    'I': ['01110', '00100', '00100', '00100', '00100', '00100', '01110'],
    'J': ['00111', '00010', '00010', '00010', '00010', '10010', '01100'],
    'K': ['10001', '10010', '10100', '11000', '10100', '10010', '10001'],
    'L': ['10000', '10000', '10000', '10000', '10000', '10000', '11111'],
    'M': ['10001', '11011', '10101', '10101', '10001', '10001', '10001'],
    'N': ['10001', '10001', '11001', '10101', '10011', '10001', '10001'],
    'O': ['01110', '10001', '10001', '10001', '10001', '10001', '01110'],
    'P': ['11110', '10001', '10001', '11110', '10000', '10000', '10000'],
    'Q': ['01110', '10001', '10001', '10001', '10101', '10010', '01101'],
    'R': ['11110', '10001', '10001', '11110', '10100', '10010', '10001'],
    'S': ['01111', '10000', '10000', '01110', '00001', '00001', '11110'],
    'T': ['11111', '00100', '00100', '00100', '00100', '00100', '00100'],
    'U': ['10001', '10001', '10001', '10001', '10001', '10001', '01110'],
    'V': ['10001', '10001', '10001', '10001', '10001', '01010', '00100'],
    'W': ['10001', '10001', '10001', '10101', '10101', '10101', '01010'],
    'X': ['10001', '10001', '01010', '00100', '01010', '10001', '10001'],
    'Y': ['10001', '10001', '01010', '00100', '00100', '00100', '00100'],
    'Z': ['11111', '00001', '00010', '00100', '01000', '10000', '11111'],
    '.': ['00000', '00000', '00000', '00000', '00000', '01100', '01100'],
    ',': ['00000', '00000', '00000', '00000', '01100', '00100', '01000'],
    ':': ['00000', '01100', '01100', '00000', '01100', '01100', '00000'],
    '-': ['00000', '00000', '00000', '11111', '00000', '00000', '00000'],
    '+': ['00000', '00100', '00100', '11111', '00100', '00100', '00000'],
    '=': ['00000', '00000', '11111', '00000', '11111', '00000', '00000'],
    '/': ['00001', '00010', '00010', '00100', '01000', '01000', '10000'],
    '(': ['00010', '00100', '01000', '01000', '01000', '00100', '00010'],
    ')': ['01000', '00100', '00010', '00010', '00010', '00100', '01000'],
    '%': ['11001', '11010', '00010', '00100', '01000', '01011', '10011'],
    '<': ['00010', '00100', '01000', '10000', '01000', '00100', '00010'],
    '>': ['01000', '00100', '00010', '00001', '00010', '00100', '01000'],
    '_': ['00000', '00000', '00000', '00000', '00000', '00000', '11111'],
    '?': ['01110', '10001', '00001', '00010', '00100', '00000', '00100'],
    "'": ['00100', '00100', '01000', '00000', '00000', '00000', '00000'],
    '*': ['00000', '10101', '01110', '11111', '01110', '10101', '00000'],
    '#': ['01010', '01010', '11111', '01010', '11111', '01010', '01010'],
}
# Distinct colours for the series, then grey for marks.
PALETTE = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (23, 190, 207)]
GREY = (150, 150, 150)
BLACK = (0, 0, 0)
# Reference lines (targets, bounds): dashed, each its own grey and dash length.
MARKS = [(GREY, 6), ((60, 60, 60), 3), ((190, 150, 90), 9)]


class Canvas:
    def __init__(self, width, height, background=(255, 255, 255)):
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(background) * width) for row in range(height)]

    def dot(self, x, y, colour):
        x, y = int(round(x)), int(round(y))
        if 0 <= x < self.width and 0 <= y < self.height:
            self.rows[y][3 * x:3 * x + 3] = bytes(colour)

    def line(self, x0, y0, x1, y1, colour, width=1, dash=0):
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        half = width // 2
        for i in range(steps + 1):
            if dash and (i // dash) % 2:
                continue
            t = i / steps
            x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
            for dx in range(-half, width - half):
                for dy in range(-half, width - half):
                    self.dot(x + dx, y + dy, colour)

    def square(self, x, y, size, colour):
        for dx in range(-size, size + 1):
            for dy in range(-size, size + 1):
                self.dot(x + dx, y + dy, colour)

    def text(self, x, y, text, colour=BLACK, scale=2, vertical=False):
        """Text with its top left corner at (x, y); vertical runs bottom to top."""
        cursor = 0
        for char in str(text).upper():
            glyph = _FONT.get(char, _FONT['?'])
            for row, bits in enumerate(glyph):
                for col, bit in enumerate(bits):
                    if bit != '1':
                        continue
                    for sx in range(scale):
                        for sy in range(scale):
                            if vertical:
                                self.dot(x + row * scale + sy, y - (cursor + col * scale + sx), colour)
                            else:
                                self.dot(x + cursor + col * scale + sx, y + row * scale + sy, colour)
            cursor += 6 * scale

    @staticmethod
    def text_width(text, scale=2):
        return len(str(text)) * 6 * scale

    def png(self):
        raw = b''.join(b'\x00' + bytes(row) for row in self.rows)

        def chunk(kind, data):
            body = kind + data
            return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body) & 0xFFFFFFFF)

        header = struct.pack('>IIBBBBB', self.width, self.height, 8, 2, 0, 0, 0)
        return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')


def _ticks(low, high, count=6):
    span = high - low or 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=magnitude * 10)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _label(value):
    if abs(value) >= 1000 or value == int(value):
        return str(int(round(value)))
    return f'{value:g}'


def line_chart(path, title, x_label, y_label, series, log_x=False, log_y=False, marks=(), width=960, height=560,
               y_min=None):
    """Write a PNG line chart. series: [(name, [(x, y), ...])]; marks: [(name, [(x, y), ...])] drawn dashed grey."""
    points = [p for entry in list(series) + list(marks) for p in entry[1] if p[1] is not None]
    if not points:
        return None

    def fx(value):
        return math.log10(value) if log_x else value

    def fy(value):
        return math.log10(value) if log_y else value

    xs = [fx(p[0]) for p in points]
    ys = [fy(p[1]) for p in points]
    x0, x1 = min(xs), max(xs)
    y0 = min(ys) if log_y else min([0.0] + ys) if y_min is None else y_min
    y1 = max(ys) * (1.05 if not log_y else 1.0) + (0.1 if log_y else 0.0)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y1 = y0 + 1
    left, right, top, bottom = 110, 30, 60, 90
    plot_w, plot_h = width - left - right, height - top - bottom
    canvas = Canvas(width, height)

    def px(value):
        return left + (fx(value) - x0) / (x1 - x0) * plot_w

    def py(value):
        return top + plot_h - (fy(value) - y0) / (y1 - y0) * plot_h

    canvas.text(left, 18, title, scale=2)
    canvas.line(left, top, left, top + plot_h, BLACK)
    canvas.line(left, top + plot_h, left + plot_w, top + plot_h, BLACK)
    distinct = sorted(set(p[0] for p in points))
    x_ticks = distinct if log_x or len(distinct) <= 8 else _ticks(x0, x1)
    for value in x_ticks:
        x = px(value)
        canvas.line(x, top + plot_h, x, top + plot_h + 5, BLACK)
        text = _label(value)
        canvas.text(x - Canvas.text_width(text) / 2, top + plot_h + 10, text)
    y_ticks = [10 ** e for e in range(math.floor(y0), math.ceil(y1) + 1)] if log_y else _ticks(y0, y1)
    for value in y_ticks:
        y = py(value)
        if y < top - 1 or y > top + plot_h + 1:
            continue
        canvas.line(left - 5, y, left, y, BLACK)
        canvas.line(left + 1, y, left + plot_w, y, (230, 230, 230))
        text = _label(value)
        canvas.text(left - 10 - Canvas.text_width(text), y - 7, text)
    canvas.text(left + plot_w / 2 - Canvas.text_width(x_label) / 2, height - 40, x_label)
    canvas.text(20, top + plot_h / 2 + Canvas.text_width(y_label) / 2, y_label, vertical=True)
    legend_y = top + 8
    for index, (name, pts) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        pts = sorted(p for p in pts if p[1] is not None)
        for (ax, ay), (bx, by) in zip(pts, pts[1:]):
            canvas.line(px(ax), py(ay), px(bx), py(by), colour, width=3)
        for x, y in pts:
            canvas.square(px(x), py(y), 4, colour)
        canvas.line(left + 20, legend_y + 7, left + 50, legend_y + 7, colour, width=3)
        canvas.text(left + 60, legend_y, name)
        legend_y += 22
    for index, (name, pts) in enumerate(marks):
        pts = sorted(p for p in pts if p[1] is not None)
        colour, dash = MARKS[index % len(MARKS)]
        for (ax, ay), (bx, by) in zip(pts, pts[1:]):
            canvas.line(px(ax), py(ay), px(bx), py(by), colour, width=2, dash=dash)
        canvas.line(left + 20, legend_y + 7, left + 50, legend_y + 7, colour, width=2, dash=dash)
        canvas.text(left + 60, legend_y, name)
        legend_y += 22
    with open(path, 'wb') as stream:
        stream.write(canvas.png())
    return path
