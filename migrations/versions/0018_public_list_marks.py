"""public list marks

``public_marks``: keyset marks of the unfiltered public lists in their default order (every
few hundredth row's sort keys and rows to the end, as of the type's last write), written at write
time, so a deep page starts an index range at the nearest mark instead of walking ``OFFSET``
index entries (``core.read.marks``). ``ifm-api db upgrade`` builds them for the content
already there; until then reads take the ``OFFSET`` path, which stays correct.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('public_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('rest', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('sort_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('date_1', sa.Date(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('sort_text', sa.String(length=400), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_marks'))
    )
    with op.batch_alter_table('public_marks', schema=None) as batch_op:
        batch_op.create_index(
            'ix_public_marks_at', ['type', 'lang', 'mode', 'rest'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('public_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_public_marks_at')
    op.drop_table('public_marks')
