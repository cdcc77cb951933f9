"""Pages: one module per page (numbers + figures), one template per page and language."""

from generator.pages.registry import LANGUAGES, PAGES, Page

__all__ = ["LANGUAGES", "PAGES", "Page"]
