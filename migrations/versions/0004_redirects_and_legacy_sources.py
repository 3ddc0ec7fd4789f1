"""redirects of old URLs and legacy sources of imported items

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _entity_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["entity_id"],
        ["content_entities.id"],
        name=op.f(f"fk_{table}_entity_id_content_entities"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "legacy_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=1010), nullable=False),
        sa.Column("content_key", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("item_version", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        _entity_fk("legacy_sources"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legacy_sources")),
        sa.UniqueConstraint("source_key", name=op.f("uq_legacy_sources_source_key")),
    )
    with op.batch_alter_table("legacy_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_legacy_sources_content_key"), ["content_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_legacy_sources_entity_id"), ["entity_id"], unique=False
        )
    op.create_table(
        "redirects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        _entity_fk("redirects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redirects")),
        sa.UniqueConstraint("path", name=op.f("uq_redirects_path")),
    )
    with op.batch_alter_table("redirects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_redirects_entity_id"), ["entity_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("redirects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redirects_entity_id"))
    op.drop_table("redirects")
    with op.batch_alter_table("legacy_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legacy_sources_entity_id"))
        batch_op.drop_index(batch_op.f("ix_legacy_sources_content_key"))
    op.drop_table("legacy_sources")
