"""The HTML report draws no picture (its maps are SVG); the self-assessment's pictures are
drawn once each, and look as a tight crop looks."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from gardencity.reports import write_report
from gardencity.reports.maps import map_style, png_base64


def test_the_html_report_draws_no_picture(
    demo_assessment,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    draws = []
    original = Figure.draw

    def counted(self: Figure, renderer):  # type: ignore[no-untyped-def]
        draws.append(self)
        return original(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    path = write_report(
        demo_assessment.to_dict(),
        demo_assessment.zones,
        demo_assessment.diagnostics,
        tmp_path / "report.html",
    )
    maps = re.findall(r'<figure class="map">', path.read_text(encoding="utf-8"))
    assert len(maps) >= 6
    assert draws == []  # every map SVG, none drawn by matplotlib


def test_the_crop_is_the_tight_crop_pixel_for_pixel() -> None:
    import matplotlib.pyplot as plt

    def chart() -> Figure:
        # a legend outside the axes, as on the report's maps
        with map_style():
            fig, ax = plt.subplots(figsize=(7.2, 3.2))
            ax.bar(["甲区", "乙区"], [3.0, 5.0], label="绿地率")
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
            ax.set_title("各区绿地率")
        return fig

    with map_style():
        ours = np.asarray(Image.open(io.BytesIO(base64.b64decode(png_base64(chart())))))
        buffer = io.BytesIO()
        fig = chart()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        plt.close(fig)
        tight = np.asarray(Image.open(buffer))
    assert ours.shape == tight.shape
    assert (ours == tight).all()


def test_figures_are_compressed_at_a_fast_zlib_level() -> None:
    """The same pixels as the default level (the test above), encoded sooner: the zlib
    stream's header says which level wrote it (FLEVEL 0: levels 0 and 1, the fastest; 1:
    levels 2 to 5; 2 is the default 6), and the file is compressed (level 1, not 0)."""
    import matplotlib.pyplot as plt

    with map_style():
        fig, ax = plt.subplots(figsize=(7.2, 3.2))
        ax.bar(["甲区", "乙区"], [3.0, 5.0])
        png = base64.b64decode(png_base64(fig))
        width, height = Image.open(io.BytesIO(png)).size
    idat = png.index(b"IDAT") + 4  # the first image-data chunk opens the zlib stream
    compression_method, flags = png[idat], png[idat + 1]
    assert compression_method & 0x0F == 8  # deflate
    assert flags >> 6 == 0
    assert len(png) < width * height  # a quarter of its four bytes a pixel, at most


def test_a_map_is_drawn_without_laying_out_its_hidden_axes() -> None:
    """A map's axes are off and hidden: the title is not placed by tick labels never drawn,
    and the map looks the same as with its axes merely off (coordinates in the millions,
    whose offset text sits where the title does)."""
    import matplotlib.pyplot as plt

    from gardencity.reports.maps import add_scale_and_north

    bounds = (500_000.0, 3_400_000.0, 520_000.0, 3_418_000.0)

    def drawn(hide_axes: bool) -> tuple[np.ndarray, str]:
        with map_style():
            fig, ax = plt.subplots(figsize=(7.2, 6.4))
            ax.plot([bounds[0], bounds[2]], [bounds[1], bounds[3]])
            add_scale_and_north(ax, bounds, "zh")
            if not hide_axes:
                ax.xaxis.set_visible(True)
                ax.yaxis.set_visible(True)
            ax.set_title("公园服务半径覆盖", fontsize=11)
            png = base64.b64decode(png_base64(fig))
        # the offset of the y tick labels is written only when they are laid out
        return np.asarray(Image.open(io.BytesIO(png))), ax.yaxis.offsetText.get_text()

    hidden, hidden_offset = drawn(hide_axes=True)
    off, off_offset = drawn(hide_axes=False)
    assert hidden_offset == "" and off_offset != ""
    assert hidden.shape == off.shape
    assert (hidden == off).all()
