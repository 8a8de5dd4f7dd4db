"""The grid picture: a valid, deterministic PNG whose cells carry the right colours."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFont

from bot.core.heatmap import CellState, Grid, _fit, _font, cell_box, render_png

S = CellState
LEGEND = {S.DONE: "done", S.MISSED: "missed", S.TODAY: "today", S.TODAY_DONE: "today, done", S.UPCOMING: "upcoming"}


def progress_grid(done_until: int = 37) -> Grid:
    """Week-by-day grid: days before `done_until` done (every fifth missed), that day today, the rest upcoming."""

    def state(i: int) -> CellState:
        if i < done_until:
            return S.MISSED if i % 5 == 3 else S.DONE
        return S.TODAY if i == done_until else S.UPCOMING

    cells = [[state(w * 7 + d) for d in range(7)] for w in range(20)]
    return Grid(
        title=f"Progress {done_until}/140",
        subtitle="Streak 5 days · longest 9",
        row_labels=[f"W{i}" for i in range(1, 21)],
        column_labels=[str(i) for i in range(1, 8)],
        cells=cells,
        legend=LEGEND,
    )


def open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == "PNG"
    return img


def centre_rgb(img: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, int, int]:
    x0, y0, x1, y1 = box
    r, g, b = img.convert("RGB").getpixel(((x0 + x1) // 2, (y0 + y1) // 2))  # type: ignore[misc]
    return r, g, b


def test_progress_grid_is_a_png_with_coloured_cells() -> None:
    grid = progress_grid()
    img = open_png(render_png(grid))
    assert img.mode == "P"
    assert 300 <= img.width <= 1280 and img.height > 20 * 18

    r, g, b = centre_rgb(img, cell_box(grid, 0, 0))  # W1 day 1: done
    assert g > r + 60 and g > b + 60, (r, g, b)

    r, g, b = centre_rgb(img, cell_box(grid, 19, 6))  # W20 day 7: upcoming
    assert max(r, g, b) - min(r, g, b) <= 12 and 200 <= min(r, g, b) < 250, (r, g, b)

    r, g, b = centre_rgb(img, cell_box(grid, 0, 3))  # day 4: missed, light red
    assert r > g + 20 and r > 200, (r, g, b)


def test_today_cells_have_an_accent_border() -> None:
    grid = progress_grid()
    cells = [row[:] for row in grid.cells]
    cells[5][3] = S.TODAY_DONE
    grid = Grid(grid.title, grid.subtitle, grid.row_labels, grid.column_labels, cells, grid.legend)
    rgb = open_png(render_png(grid)).convert("RGB")
    for row, col in ((5, 2), (5, 3)):  # TODAY, TODAY_DONE
        x0, y0, _, y1 = cell_box(grid, row, col)
        r, g, b = rgb.getpixel((x0 + 1, (y0 + y1) // 2))  # type: ignore[misc]
        assert r > 200 and b < 80, (row, col, r, g, b)  # amber outline
    r, g, b = centre_rgb(rgb, cell_box(grid, 5, 3))
    assert g > r + 60, (r, g, b)  # still green inside


def test_group_grid_with_chinese_names_renders() -> None:
    names = ["张三", "李四", "Alice", "王小明同学", "😀 emoji", "a very long member name " * 5, "tab\tnew\nline"]
    grid = Grid(
        title="小组本周 第 3 周",
        subtitle="7 位成员 · 完成率 62%",
        row_labels=names,
        column_labels=["一", "二", "三", "四", "五", "六", "日"],
        cells=[[S.DONE, S.MISSED, S.DONE, S.TODAY_DONE, S.UPCOMING, S.UPCOMING, S.UPCOMING] for _ in names],
        legend={S.DONE: "完成", S.MISSED: "缺席", S.TODAY: "今天", S.UPCOMING: "未到"},
    )
    img = open_png(render_png(grid))
    assert img.width <= 1280
    assert centre_rgb(img, cell_box(grid, 6, 0))[1] > 120


def test_text_the_font_cannot_draw_becomes_question_marks() -> None:
    latin_only = ImageFont.load_default(size=20)  # Pillow's bundled font has no CJK
    assert _fit(latin_only, "张三 Ann", 1000) == "?? Ann"
    assert _fit(latin_only, "a\nb", 1000) == "a b"
    font = _font(22)  # whatever this machine has: each character is kept or becomes '?'
    text = "李四 Bob"
    assert all(out in (orig, "?") for out, orig in zip(_fit(font, text, 1000), text, strict=True))


def test_sixty_by_fourteen_stays_legible_and_narrow() -> None:
    grid = Grid(
        title="Group",
        subtitle="60 members",
        row_labels=[f"Member {i}" for i in range(60)],
        column_labels=[str(i) for i in range(1, 15)],
        cells=[[list(S)[(r + c) % 5] for c in range(14)] for r in range(60)],
        legend=LEGEND,
    )
    img = open_png(render_png(grid))
    assert img.width <= 1280
    assert cell_box(grid, 1, 0)[1] - cell_box(grid, 0, 0)[1] >= 18
    assert cell_box(grid, 59, 13)[3] < img.height


@pytest.mark.parametrize(
    ("rows", "cols", "cells", "message"),
    [
        (["W1", "W2"], ["1", "2"], [[S.DONE, S.DONE]], "row labels"),
        (["W1"], ["1", "2"], [[S.DONE]], "column labels"),
        (["W1"], ["1"], [["nope"]], "nope"),
        ([], ["1"], [], "rows"),
        (["W1"], [], [[]], "columns"),
    ],
)
def test_bad_shapes_raise_value_error(
    rows: list[str], cols: list[str], cells: list[list[CellState]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        render_png(Grid("t", "s", rows, cols, cells, {}))


def test_cell_box_rejects_cells_outside_the_grid() -> None:
    with pytest.raises(IndexError):
        cell_box(progress_grid(), 20, 0)


def test_same_grid_gives_identical_bytes_without_metadata() -> None:
    first, second = render_png(progress_grid()), render_png(progress_grid())
    assert first == second
    assert b"tIME" not in first and b"tEXt" not in first
    assert render_png(progress_grid(38)) != first
