"""media library: editors' metadata, translated texts, what was read from the file

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("updated_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("height", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("page_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("document_title", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("document_lang", sa.String(length=35), nullable=True))
        batch_op.add_column(sa.Column("license", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("focal_x", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("focal_y", sa.Double(), nullable=True))
    op.create_table(
        "media_translations",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("alt", sa.String(length=1000), nullable=True),
        sa.Column("caption", sa.String(length=2000), nullable=True),
        sa.Column("credit", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_media_translations_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_media_translations")),
        sa.UniqueConstraint("media_id", "lang", name=op.f("uq_media_translations_media_id_lang")),
    )


def downgrade() -> None:
    op.drop_table("media_translations")
    with op.batch_alter_table("media", schema=None) as batch_op:
        for column in (
            "focal_y",
            "focal_x",
            "license",
            "document_lang",
            "document_title",
            "page_count",
            "height",
            "width",
            "updated_by",
            "updated_at",
            "version",
        ):
            batch_op.drop_column(column)
