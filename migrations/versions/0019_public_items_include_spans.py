"""public items: include spans and bare documents

``public_items.spans`` (where a stored document's relation summaries lie in its text) and
``public_items.bare`` (an embedded type's document without its relations), so ``include=``
copies bytes instead of parsing and writing every document again (``core.read.splice``).
Both nullable: the read model's format moves to 8, and ``ifm-api db upgrade`` rebuilds it,
which fills them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 08:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("public_items") as batch:
        batch.add_column(sa.Column("spans", sa.Text(), nullable=True))
        batch.add_column(sa.Column("bare", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("public_items") as batch:
        batch.drop_column("bare")
        batch.drop_column("spans")
