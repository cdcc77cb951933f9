"""The ordered page registry: nav order, modules and titles per language."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

#: Site languages; the first is the default (built at the site root).
LANGUAGES = ("en", "zh-TW")


@dataclass(frozen=True)
class Page:
    slug: str
    module: str
    title: dict

    def load(self):
        return importlib.import_module(self.module)

    def markdown_name(self, lang: str) -> str:
        """File name in docs/ (mkdocs-static-i18n suffix layout)."""
        return f"{self.slug}.md" if lang == LANGUAGES[0] else f"{self.slug}.{lang}.md"


PAGES: tuple[Page, ...] = (
    Page("index", "generator.pages.index", {"en": "Home", "zh-TW": "首頁"}),
    Page("layer2", "generator.pages.layer2", {"en": "Layer 2", "zh-TW": "第二層"}),
    Page("features", "generator.pages.features", {"en": "What layer 2 learned", "zh-TW": "第二層學到什麼"}),
    Page("fc", "generator.pages.fc", {"en": "Fully connected layer", "zh-TW": "全連接層"}),
    Page("dropout", "generator.pages.dropout", {"en": "Dropout", "zh-TW": "Dropout"}),
    Page("depth", "generator.pages.depth", {"en": "Depth", "zh-TW": "深度"}),
    Page("claims", "generator.pages.claims", {"en": "Claims", "zh-TW": "說法檢核"}),
)
