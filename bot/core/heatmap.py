"""Render a study-progress grid (weeks x days, or members x days) as a phone-friendly PNG."""

from __future__ import annotations

import glob
import io
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Box = tuple[int, int, int, int]
RGB = tuple[int, int, int]


class CellState(StrEnum):
    DONE = "done"
    MISSED = "missed"
    TODAY = "today"
    TODAY_DONE = "today_done"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class Grid:
    title: str
    subtitle: str
    row_labels: list[str]
    column_labels: list[str]
    cells: list[list[CellState]]
    legend: dict[CellState, str]


# Caps keep a buggy caller from asking for a gigantic image; callers split bigger groups.
MAX_ROWS, MAX_COLS, MAX_W = 120, 31, 1280
PAD, LABEL_GAP, LABEL_MAX_W, TITLE_PX, SUB_PX, LEGEND_PX = 28, 12, 280, 34, 22, 20
INK, GREEN, ACCENT = (17, 24, 39), (46, 160, 80), (234, 140, 12)
# Secondary text is INK at this coverage, (78, 83, 95) on white: still ~7:1 contrast.
SOFT = 190
# (fill, outline): TODAY and TODAY_DONE share the amber outline so "today" reads the same either way.
STYLE: dict[CellState, tuple[RGB, RGB | None]] = {
    CellState.DONE: (GREEN, None),
    CellState.TODAY_DONE: (GREEN, ACCENT),
    CellState.TODAY: ((255, 247, 230), ACCENT),
    CellState.MISSED: ((246, 201, 196), None),
    CellState.UPCOMING: ((228, 231, 235), None),
}
# Palette: indices 0..RAMP-1 run from white to INK (text coverage), then the solid cell colours.
RAMP = 64
_SOLIDS = [ACCENT, GREEN, *(fill for fill, _ in STYLE.values() if fill != GREEN)]
_PALETTE = [round(255 + (c - 255) * i / (RAMP - 1)) for i in range(RAMP) for c in INK]
_PALETTE += [v for rgb in _SOLIDS for v in rgb]
_COVERAGE_TO_INDEX = [round(v * (RAMP - 1) / 255) for v in range(256)]
_FONTS = "/usr/share/fonts/"
_CJK_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def _load(path: str) -> ImageFont.FreeTypeFont | None:
    try:
        return ImageFont.truetype(path, 20)
    except OSError:
        return None


def _ink(font: Font, text: str) -> bytes:
    img = Image.new("L", (64, 64))  # room for one glyph at any size used here
    ImageDraw.Draw(img).text((8, 8), text, font=font, fill=255)
    return img.tobytes()


@lru_cache(maxsize=16)
def _notdef(font: Font) -> bytes:
    return _ink(font, "\U0010fffd")


def _draws(font: Font, char: str) -> bool:
    # Pillow has no public cmap lookup, so a character that renders exactly like a plane-16 private-use
    # code point (mapped by no font, so drawn as .notdef, the tofu box) counts as missing; the bitmap
    # fallback font raises on non-Latin-1 text, which counts as missing too.
    try:
        return _ink(font, char) != _notdef(font)
    except (UnicodeError, ValueError, OSError):
        return False


_has_glyph = lru_cache(maxsize=4096)(_draws)


@lru_cache(maxsize=1)
def _font_path() -> str | None:
    """The first installed font that draws Chinese, else a Latin one, else None (Pillow's default)."""
    found = sorted(glob.glob(_FONTS + "**/*.tt[fc]", recursive=True) + glob.glob(_FONTS + "**/*.otf", recursive=True))
    cjk_named = [p for p in found if re.search(r"cjk|wqy|fallback|hei|song|ming|kai", p, re.IGNORECASE)]
    if path := next((p for p in (*_CJK_PATHS, *cjk_named) if (f := _load(p)) and _draws(f, "中")), None):
        return path
    plain = [p for p in found if not re.search(r"bold|italic|oblique|mono|serif|math", p, re.IGNORECASE)]
    return next((p for p in (_FONTS + "truetype/dejavu/DejaVuSans.ttf", *plain, *found) if _load(p) is not None), None)


@lru_cache(maxsize=16)
def _font(size: int) -> Font:
    path = _font_path()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def _width(font: Font, text: str) -> int:
    left, _, right, _ = font.getbbox(text) if text else (0, 0, 0, 0)
    return int(right - left)


@lru_cache(maxsize=2048)
def _fit(font: Font, text: str, max_w: int) -> str:
    """Text made drawable (controls -> space, glyphs the font lacks -> '?') and shortened to max_w."""
    text = "".join(" " if not c.isprintable() else c for c in text)
    text = "".join(c if c == " " or _has_glyph(font, c) else "?" for c in text)
    if _width(font, text) <= max_w:
        return text
    while text and _width(font, text + "...") > max_w:
        text = text[:-1]
    return text.rstrip() + "..."


@dataclass(frozen=True)
class _Layout:
    width: int
    height: int
    row_h: int
    cell_w: int
    grid_x: int
    grid_y: int
    body: Font
    legend: list[tuple[CellState, str, int, int]]  # (state, label, x, y): y is the top of its 32 px line


def _validate(grid: Grid) -> None:
    rows, cols = len(grid.row_labels), len(grid.column_labels)
    if not (1 <= rows <= MAX_ROWS and 1 <= cols <= MAX_COLS):
        raise ValueError(f"grid must have 1..{MAX_ROWS} rows and 1..{MAX_COLS} columns, got {rows}x{cols}")
    if len(grid.cells) != rows:
        raise ValueError(f"cells has {len(grid.cells)} rows but there are {rows} row labels")
    for i, row in enumerate(grid.cells):
        if len(row) != cols:
            raise ValueError(f"cells row {i} has {len(row)} cells but there are {cols} column labels")
        for value in row:
            CellState(value)  # raises ValueError naming the bad value


def _layout(grid: Grid) -> _Layout:
    _validate(grid)
    rows, cols = len(grid.row_labels), len(grid.column_labels)
    row_h = max(24, min(44, 1320 // rows))
    body, legend_font, inner_max = _font(min(22, row_h - 6)), _font(LEGEND_PX), MAX_W - 2 * PAD
    grid_x = PAD + LABEL_GAP + max(_width(body, _fit(body, t, LABEL_MAX_W)) for t in grid.row_labels)
    cell_w = max(12, min(64, (MAX_W - PAD - grid_x) // cols))
    labels = [(s, _fit(legend_font, grid.legend[s], inner_max - 30)) for s in CellState if s in grid.legend]
    widths = [_width(legend_font, t) for _, t in labels]
    texts = [_width(_font(TITLE_PX), grid.title), _width(_font(SUB_PX), grid.subtitle)]
    # The legend wraps rather than widening the image: a narrower image shows bigger on a phone.
    inner = min(inner_max, max(grid_x - PAD + cols * cell_w, *(w + 30 for w in widths), *texts))
    grid_y = PAD + 90 + row_h  # title 44 + subtitle 30 + gap 16, then the column-label row
    x, y, legend = PAD, grid_y + rows * row_h + 18, []
    for (state, label), w in zip(labels, widths, strict=True):  # swatch, 8 px, label, 34 px; wraps
        if x > PAD and x + 30 + w > PAD + inner:
            x, y = PAD, y + 32
        legend.append((state, label, x, y))
        x += w + 64
    height = (y + 32 if legend else grid_y + rows * row_h + 18) + PAD
    return _Layout(inner + 2 * PAD, height, row_h, cell_w, grid_x, grid_y, body, legend)


def _box(lay: _Layout, row: int, col: int) -> Box:
    gap = 4 if lay.row_h >= 32 else 3
    x, y = lay.grid_x + col * lay.cell_w + gap // 2, lay.grid_y + row * lay.row_h + gap // 2
    return x, y, x + lay.cell_w - gap - 1, y + lay.row_h - gap - 1


def cell_box(grid: Grid, row: int, col: int) -> Box:
    """Pixel box (x0, y0, x1, y1), inclusive, of the coloured cell at (row, col) in render_png's image."""
    if not (0 <= row < len(grid.row_labels) and 0 <= col < len(grid.column_labels)):
        raise IndexError(f"cell ({row}, {col}) is outside the grid")
    return _box(_layout(grid), row, col)


@lru_cache(maxsize=64)
def _tile(state: CellState, w: int, h: int) -> Image.Image:
    """A cell as palette indices; cached, since drawing rounded rectangles per cell is slow."""
    fill, outline = STYLE[CellState(state)]
    tile = Image.new("L", (w, h), 0)
    stroke, line = (RAMP + _SOLIDS.index(outline), 3 if h >= 32 else 2) if outline else (None, 1)
    ImageDraw.Draw(tile).rounded_rectangle((0, 0, w - 1, h - 1), 5, RAMP + _SOLIDS.index(fill), stroke, line)
    return tile


@lru_cache(maxsize=16)
def _cap(font: Font) -> tuple[float, float, float, float]:
    return font.getbbox("H")


def _text(
    draw: ImageDraw.ImageDraw, x: float, cy: float, text: str, font: Font, cover: int = 255, align: str = "l"
) -> None:
    # Centre on the cap height of "H" rather than each string's own ink, so labels share a baseline.
    left, _, right, _ = font.getbbox(text) if text else (0, 0, 0, 0)
    _, top, _, bottom = _cap(font)
    dx = {"l": -left, "r": -right, "m": -(left + right) / 2}[align]
    draw.text((x + dx, cy - (top + bottom) / 2), text, font=font, fill=cover)


def render_png(grid: Grid) -> bytes:
    """Draw the grid as a PNG; the same Grid always gives the same bytes (no timestamps or metadata)."""
    lay = _layout(grid)
    # All text sits on white, so it is drawn as an ink-coverage mask and mapped onto a white-to-INK palette
    # ramp: an exact palette PNG, which encodes several times faster than RGB and needs no quantizing.
    cover = Image.new("L", (lay.width, lay.height), 0)
    draw = ImageDraw.Draw(cover)
    inner, title_font, sub_font, legend_font = lay.width - 2 * PAD, _font(TITLE_PX), _font(SUB_PX), _font(LEGEND_PX)
    _text(draw, PAD, PAD + 20, _fit(title_font, grid.title, inner), title_font)
    _text(draw, PAD, PAD + 57, _fit(sub_font, grid.subtitle, inner), sub_font, SOFT)
    for c, label in enumerate(grid.column_labels):
        cx = lay.grid_x + c * lay.cell_w + lay.cell_w / 2
        _text(draw, cx, lay.grid_y - lay.row_h / 2, _fit(lay.body, label, lay.cell_w - 2), lay.body, SOFT, "m")
    for r, label in enumerate(grid.row_labels):
        cy = lay.grid_y + r * lay.row_h + lay.row_h / 2
        _text(draw, lay.grid_x - LABEL_GAP, cy, _fit(lay.body, label, LABEL_MAX_W), lay.body, align="r")
    for _, label, x, y in lay.legend:
        _text(draw, x + 30, y + 16, label, legend_font, SOFT)
    img = cover.point(_COVERAGE_TO_INDEX)
    for r, row in enumerate(grid.cells):
        for c, state in enumerate(row):
            x0, y0, x1, y1 = _box(lay, r, c)
            img.paste(_tile(state, x1 - x0 + 1, y1 - y0 + 1), (x0, y0))
    for state, _, x, y in lay.legend:
        img.paste(_tile(state, 22, 22), (x, y + 5))
    img.putpalette(_PALETTE)
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=3)
    return out.getvalue()
