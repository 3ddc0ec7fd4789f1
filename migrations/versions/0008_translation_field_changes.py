"""translation field changes

When each translated field was last written per language (``translation.models``), for the
translation status (outdated per field). Starts empty: nothing counts as outdated until the
source language changes after this migration.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translation_field_changes",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["content_entities.id"],
            name=op.f("fk_translation_field_changes_entity_id_content_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_id", "lang", "field", name=op.f("pk_translation_field_changes")),
    )


def downgrade() -> None:
    op.drop_table("translation_field_changes")
