"""content state and visibility index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 01:31:26.939014
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
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
    content_state = op.create_table(
        "content_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_state")),
    )
    op.bulk_insert(content_state, [{"id": 1, "name": "content", "version": 1}])
    for table in TRANSLATION_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_visible_from", ["visible_from"], unique=False)


def downgrade() -> None:
    for table in TRANSLATION_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_visible_from")
    op.drop_table("content_state")
