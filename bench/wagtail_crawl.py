"""The static-site build's URLs on the peer (Wagtail 8 API v2), as probe.py's `crawl` on ours.

    .venv/bin/python bench/wagtail_crawl.py PATH/TO/wagtail/db-N.sqlite3 > paths.txt

Every news page's detail (German and English pages are separate pages in Wagtail) and every
list page of the news in both locales, 20 per page (Wagtail's maximum), in a fixed shuffled
order. Reads the peer's SQLite file directly (read-only).
"""

from __future__ import annotations

import random
import sqlite3
import sys

LIST = "/api/v2/pages/?type=news.NewsPage&locale={lang}&fields=teaser,date&order=-date,-id"
PAGE_SIZE = 20


def crawl_paths(db_file: str) -> list[str]:
    connection = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    rows = connection.execute(
        "SELECT p.id, l.language_code FROM wagtailcore_page p"
        " JOIN wagtailcore_locale l ON l.id = p.locale_id"
        " JOIN django_content_type t ON t.id = p.content_type_id"
        " WHERE t.app_label = 'news' AND t.model = 'newspage' AND p.live"
    ).fetchall()
    paths = [f"/api/v2/pages/{page_id}/" for page_id, _lang in rows]
    per_language: dict[str, int] = {}
    for _id, lang in rows:
        per_language[lang] = per_language.get(lang, 0) + 1
    for lang, count in sorted(per_language.items()):
        first = LIST.format(lang=lang)
        paths += [
            f"{first}&limit={PAGE_SIZE}&offset={offset}" for offset in range(0, count, PAGE_SIZE)
        ]
    random.Random(2).shuffle(paths)
    return paths


if __name__ == "__main__":
    print("\n".join(crawl_paths(sys.argv[1])))
