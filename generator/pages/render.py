"""Jinja2 rendering of page templates: StrictUndefined, formatting filters only."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


def pct(value: float, digits: int = 2) -> str:
    """0.9912 → '99.12%'."""
    return f"{100 * float(value):.{digits}f}%"


def num(value, digits: int | None = None) -> str:
    """Thousands separators; fixed decimals when ``digits`` is given."""
    if digits is None:
        return f"{int(value):,}"
    return f"{float(value):,.{digits}f}"


def sig(value, digits: int = 2) -> str:
    """About ``digits`` significant digits, never in exponent form: 8.333 → '8.3',
    0.0444 → '0.044', 16.7 → '17'."""
    v = float(value)
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    return f"{v:,.{decimals}f}"


def shape(value) -> str:
    return "×".join(str(int(v)) for v in value)


@lru_cache(maxsize=1)
def environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        # compiled templates cached in the temp folder, checked against the source: a warm build
        # does not recompile them (compiling all pages costs ~2 s)
        bytecode_cache=jinja2.FileSystemBytecodeCache(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(pct=pct, num=num, sig=sig, shape=shape)
    return env


def render_page(slug: str, lang: str, context: dict) -> str:
    """Render ``templates/<lang>/<slug>.md.j2``; a missing value is an error, never blank."""
    import jinja2

    from generator.errors import SiteError

    try:
        return environment().get_template(f"{lang}/{slug}.md.j2").render(**context)
    except jinja2.TemplateNotFound as exc:
        raise SiteError(f"page {slug!r} has no {lang} template ({exc}). Add "
                        f"generator/pages/templates/{lang}/{slug}.md.j2.") from None
    except jinja2.UndefinedError as exc:
        raise SiteError(f"template {lang}/{slug}.md.j2: {exc}. Add the value to the "
                        f"page's context() or fix the template.") from None
