"""The portrait-rendition cell: a published person with a 4,000 x 3,000 JPEG portrait.

    .venv/bin/python bench/portrait.py --database-url URL   # prints the rendition's path

Idempotent (the person is found again by its author). The file goes through the upload's own
checks (``inspect_upload``) and the path is the 640-pixel WebP crop for ``1:1`` that a
website's people page would ask for; its first request makes and stores the rendition, so
``run.sh`` loads it once before measuring ("once generated").
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile

from PIL import Image
from sqlalchemy import select

from ifm_api import create_app
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.editing import create_item, publish_item
from ifm_api.core.media import store_file
from ifm_api.core.models import ContentEntity
from ifm_api.media.service import inspect_upload

AUTHOR = "bench-portrait"


def portrait_jpeg() -> bytes:
    image = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def ensure_person() -> int:
    session = db.session()
    found = session.scalar(
        select(ContentEntity.id).where(ContentEntity.created_by == AUTHOR).limit(1)
    )
    if found is not None:
        return found
    spec = REGISTRY["people"]
    with db.transaction():
        data = portrait_jpeg()
        properties, _warnings = inspect_upload(data, "image/jpeg")
        media = store_file(data, "portrait.jpg", "image/jpeg", author=AUTHOR, properties=properties)
        session.flush()
        person = {
            "given_name": "Bench",
            "family_name": "Portrait",
            "portrait_id": media.id,
            "translations": {"de": {"position": "Porträt"}},
        }
        entity = create_item(spec, person, author=AUTHOR)
        publish_item(
            spec,
            entity,
            languages=None,
            publish_at=None,
            expected_version=entity.version,
            author=AUTHOR,
        )
        return entity.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    args = parser.parse_args()
    media = os.environ.get("IFM_MEDIA_ROOT") or tempfile.mkdtemp(prefix="ifm-bench-media-")
    app = create_app(load_settings({"DATABASE_URL": args.database_url, "IFM_MEDIA_ROOT": media}))
    with app.app_context():
        person = ensure_person()
    client = app.test_client()
    portrait = client.get(f"/api/v1/people/{person}?lang=de").get_json()["portrait"]
    crop = next(r for r in portrait["crops"]["1:1"] if r["width"] == 640 and "webp" in r["format"])
    path = crop["url"].removeprefix("http://localhost")
    if client.get(path).status_code != 200:
        print(f"portrait: {path} does not answer 200", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
