"""The maskable app icons, derived from DSFR's (``dsfr/dist/favicon/android-chrome-512x512.png``).

A launcher crops a maskable icon to its own shape (circle, squircle…); only the centred circle of 80 %
of the width is sure to stay. DSFR's icons fill the whole square, so the Marianne would lose her edges:
here the DSFR icon is scaled to ``INNER`` of the width (its corners then lie inside that circle) and
centred on a white square. Run ``python -m carnet.pwa.icons`` to write them again into
``src/carnet/static/carnet/pwa/`` (committed: nothing is generated at run time).
"""

from __future__ import annotations

from pathlib import Path

INNER = 0.56  # half-diagonal 0.56 / 2 * sqrt(2) = 0.396 of the width < 0.40, the safe zone's radius
SIZES = (192, 512)
BACKGROUND = (255, 255, 255, 255)
TARGET = Path(__file__).resolve().parent.parent / "static" / "carnet" / "pwa"


def source() -> Path:
    import dsfr

    return (
        Path(dsfr.__file__).resolve().parent
        / "static"
        / "dsfr"
        / "dist"
        / "favicon"
        / "android-chrome-512x512.png"
    )


def build(size: int) -> object:
    from PIL import Image

    inner = round(size * INNER)
    logo = Image.open(source()).convert("RGBA").resize((inner, inner), Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", (size, size), BACKGROUND)
    offset = (size - inner) // 2
    canvas.alpha_composite(logo, (offset, offset))
    return canvas.convert("RGB")


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        image = build(size)
        image.save(TARGET / f"maskable-{size}.png", optimize=True)  # type: ignore[attr-defined]
        print(TARGET / f"maskable-{size}.png")


if __name__ == "__main__":
    main()
