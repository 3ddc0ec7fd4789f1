"""public counts and document changes

``public_counts``: stored totals of the unfiltered public lists, and
``public_transitions``, the future moments at which they change; ``public_document_changes``: when an item
version last left the public documents of a type (per read language), so that feed and
sitemap ``Last-Modified`` never go backwards when an item is removed. The read model's
format goes to 4, so ``ifm-api db upgrade`` rebuilds it (and so fills the counts).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 18:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('public_counts',
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('type', 'lang', 'mode', name=op.f('pk_public_counts'))
    )
    op.create_table('public_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_transitions'))
    )
    op.create_index('ix_public_transitions_at', 'public_transitions', ['type', 'lang', 'mode', 'at'], unique=False)
    op.create_table('public_document_changes',
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('type', 'lang', name=op.f('pk_public_document_changes'))
    )


def downgrade() -> None:
    op.drop_table('public_document_changes')
    op.drop_index('ix_public_transitions_at', table_name='public_transitions')
    op.drop_table('public_transitions')
    op.drop_table('public_counts')
