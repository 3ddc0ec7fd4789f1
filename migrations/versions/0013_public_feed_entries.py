"""public feed entries

``public_feed_entries``: the RSS, Atom and JSON Feed entries of the read-model rows a feed
lists, rendered when content changes (zlib-compressed), so a feed read only joins stored text. The read
model's format goes to 5, so ``ifm-api db upgrade`` rebuilds it (and so fills the entries).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 23:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('public_feed_entries',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('updated', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rss', sa.LargeBinary(), nullable=False),
    sa.Column('atom', sa.LargeBinary(), nullable=False),
    sa.Column('json', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['public_items.id'], name=op.f('fk_public_feed_entries_item_id_public_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_public_feed_entries'))
    )


def downgrade() -> None:
    op.drop_table('public_feed_entries')
