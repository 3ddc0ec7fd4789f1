"""public document changes

When an item version last left the public documents of a type (per read language), so
that feed and sitemap ``Last-Modified`` never go backwards when an item is removed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('public_document_changes',
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('type', 'lang', name=op.f('pk_public_document_changes'))
    )


def downgrade() -> None:
    op.drop_table('public_document_changes')
