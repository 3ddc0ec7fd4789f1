"""slug-first unique index on translations

The unique (state, lang, slug) index led SQLite's planner to scan every live translation
(``state = ?``) instead of looking rows up by (row_pk, lang). (slug, lang, state) keeps the
same uniqueness and serves slug lookups directly.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TRANSLATION_TABLES = (
    "news_item_translations",
    "person_translations",
    "project_translations",
    "report_translations",
    "research_area_translations",
)


def upgrade() -> None:
    for table in TRANSLATION_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_state_lang_slug", type_="unique")
            batch_op.create_unique_constraint(
                f"uq_{table}_slug_lang_state", ["slug", "lang", "state"]
            )


def downgrade() -> None:
    for table in TRANSLATION_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_slug_lang_state", type_="unique")
            batch_op.create_unique_constraint(
                f"uq_{table}_state_lang_slug", ["state", "lang", "slug"]
            )
