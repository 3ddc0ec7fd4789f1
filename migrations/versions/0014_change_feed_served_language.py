"""change feed: the language a read language served an item in

``change_feed_items.served_lang`` and ``scheduled_changes.served_lang``: which language's
version reads in ``lang`` showed (the item's own, or a fallback), so that a language
version that stops being public while another stays is reported as ``unpublished`` for
that language, and one that becomes public on an item already shown in a fallback as
``published``. Rows written before are left empty (read as "unknown": an edit of such an
item is an ``updated`` until the feed has told it once more).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 22:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("change_feed_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("served_lang", sa.String(length=16), nullable=True))
    with op.batch_alter_table("scheduled_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("served_lang", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduled_changes", schema=None) as batch_op:
        batch_op.drop_column("served_lang")
    with op.batch_alter_table("change_feed_items", schema=None) as batch_op:
        batch_op.drop_column("served_lang")
