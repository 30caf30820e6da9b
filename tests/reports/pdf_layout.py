"""Checks that every word of a PDF's text layer is on its page, drawn, and not under an image.

Word boxes come from poppler's `pdftotext -bbox`; image placements from the content stream
(the transformation matrix in force at each `Do`); ink from `pdftoppm` at 72 dpi (one pixel
per point), in greyscale.
"""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

INK = 170  # a pixel darker than this (0-255) is ink: our text is #0b0c0c or #505a5f


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, margin: float = 0.5) -> bool:
        return (self.x0 + margin < other.x1 and other.x0 + margin < self.x1
                and self.y0 + margin < other.y1 and other.y0 + margin < self.y1)  # fmt: skip


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
_WORD = re.compile(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">'
                   r"(.*?)</word>")  # fmt: skip


def layout_problems(pdf: bytes) -> list[str]:
    """Every word that is off its page, covered by an image, or not visibly drawn."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pack.pdf"
        path.write_bytes(pdf)
        pages = _words(path)
        subprocess.run(["pdftoppm", "-r", "72", "-gray", str(path), str(Path(tmp) / "p")],
                       check=True)  # fmt: skip
        renders = sorted(Path(tmp).glob("p-*.pgm"))
        images = _images(path)
        problems: list[str] = []
        reader = PdfReader(path)
        for n, ((width, height, words), render) in enumerate(zip(pages, renders, strict=True)):
            # poppler drops text drawn wholly outside the page: what the content holds but
            # poppler did not place is off the page.
            held = Counter(_tokens(reader.pages[n].extract_text()))
            held.subtract(Counter(_tokens(" ".join(text for text, _ in words))))
            problems += [f"page {n + 1}: '{w}' runs off the page" for w, k in held.items() if k > 0]
            pixels = _Pgm(render)
            for text, box in words:
                where = f"page {n + 1}: '{text}'"
                if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height:
                    problems.append(f"{where} runs off the page")
                elif any(box.overlaps(image) for image in images.get(n, [])):
                    problems.append(f"{where} is under a chart")
                elif not pixels.inked(box):
                    problems.append(f"{where} is not visibly drawn")
    return problems


def _tokens(text: str) -> list[str]:
    """Letters and digits only: the two extractors differ on quotes, dashes and ligatures."""
    return re.findall(r"\w+", unicodedata.normalize("NFKC", html.unescape(text)))


def _words(path: Path) -> list[tuple[float, float, list[tuple[str, Box]]]]:
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    pages: list[tuple[float, float, list[tuple[str, Box]]]] = []
    for chunk in out.split("<page ")[1:]:
        size = _PAGE.search("<page " + chunk)
        assert size is not None
        words = [(m.group(5), Box(*(float(m.group(i)) for i in range(1, 5))))
                 for m in _WORD.finditer(chunk)]  # fmt: skip
        pages.append((float(size.group(1)), float(size.group(2)), words))
    return pages


def _images(path: Path) -> dict[int, list[Box]]:
    found: dict[int, list[Box]] = {}
    for n, page in enumerate(PdfReader(path).pages):
        height = float(page.mediabox.height)

        def visit(op: bytes, args: object, cm: list[float], tm: object, n: int = n,
                  height: float = height) -> None:  # fmt: skip
            if op == b"Do":
                a, _, _, d, e, f = cm
                found.setdefault(n, []).append(
                    Box(
                        min(e, e + a), height - max(f, f + d), max(e, e + a), height - min(f, f + d)
                    )
                )

        page.extract_text(visitor_operand_before=visit)
    return found


class _Pgm:
    """A binary greyscale PGM (P5) as pdftoppm writes it."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        fields = data.split(maxsplit=4)
        assert fields[0] == b"P5"
        self.width, self.height = int(fields[1]), int(fields[2])
        self.pixels = fields[4][: self.width * self.height]

    def inked(self, box: Box) -> bool:
        x0, x1 = max(0, int(box.x0)), min(self.width, int(box.x1) + 1)
        y0, y1 = max(0, int(box.y0)), min(self.height, int(box.y1) + 1)
        return any(
            min(self.pixels[y * self.width + x0 : y * self.width + x1], default=255) < INK
            for y in range(y0, y1)
        )
