"""The flows between libraries as an SVG picture: givers on the left, receivers on the right, a band for
each pair as wide as the copies that went. Pure: rows in, SVG text out (escaped)."""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

WIDTH, ROW, TOP, LABEL = 720, 44, 40, 230
MAX_BAND = 30  # px: the widest flow
COLOURS = ("#1f6f8b", "#99582a", "#2d6a4f", "#6d597a", "#b56576", "#355070", "#7f5539")


def flow_svg(flows: list[tuple[str, str, int]], names: dict[str, str], title: str, empty: str) -> str:
    """flows: (giver, receiver, copies); names: library code -> name."""
    givers = sorted({giver for giver, _, _ in flows})
    receivers = sorted({receiver for _, receiver, _ in flows})
    height = TOP + ROW * max(len(givers), len(receivers), 1) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label={quoteattr(title)} '
             f'font-family="sans-serif" font-size="13">', f"<title>{escape(title)}</title>"]
    if not flows:
        parts.append(f'<text x="20" y="{TOP}">{escape(empty)}</text></svg>')
        return "".join(parts)
    largest = max(copies for _, _, copies in flows)
    left = {code: TOP + ROW * index for index, code in enumerate(givers)}
    right = {code: TOP + ROW * index for index, code in enumerate(receivers)}
    start, end = LABEL, WIDTH - LABEL
    for giver, receiver, copies in flows:
        band = max(2, round(MAX_BAND * copies / largest))
        y1, y2 = left[giver], right[receiver]
        colour = COLOURS[givers.index(giver) % len(COLOURS)]
        middle = (start + end) // 2
        parts.append(f'<path d="M{start},{y1} C{middle},{y1} {middle},{y2} {end},{y2}" fill="none" '
                     f'stroke="{colour}" stroke-opacity="0.6" stroke-width="{band}">'
                     f'<title>{escape(names.get(giver, giver))} → {escape(names.get(receiver, receiver))}: '
                     f'{copies}</title></path>')
    for code, y in left.items():
        parts.append(f'<text x="{start - 8}" y="{y + 4}" text-anchor="end">{escape(names.get(code, code))}</text>')
    for code, y in right.items():
        parts.append(f'<text x="{end + 8}" y="{y + 4}">{escape(names.get(code, code))}</text>')
    parts.append("</svg>")
    return "".join(parts)
