"""list indexes hold ids

The three list indexes of ``public_items`` get the row id (``INCLUDE (id)`` on PostgreSQL;
SQLite's indexes hold the rowid already), so an unfiltered page selects its ids with an
index-only scan: on PostgreSQL a deep page otherwise read every row before it (a sequential
scan and a sort).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 00:15:00
"""

from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

COLUMNS = ['lenient', 'strict', 'visible_from', 'visible_until']
INDEXES = {
    'ix_public_items_by_time': ['type', 'lang', 'sort_time', 'entity_id', *COLUMNS],
    'ix_public_items_by_date': ['type', 'lang', 'date_1', 'entity_id', *COLUMNS],
    'ix_public_items_by_text': ['type', 'lang', 'sort_text', 'entity_id', *COLUMNS],
}


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name='public_items')
        op.create_index(name, 'public_items', columns, unique=False, postgresql_include=['id'])


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name='public_items')
        op.create_index(name, 'public_items', columns, unique=False)
