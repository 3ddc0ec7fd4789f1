"""search index

``search_entries`` (one per read-model row) and the full-text structures over it: on SQLite
the FTS5 table ``search_fts`` with its triggers, on PostgreSQL generated ``tsvector`` columns
with a GIN index (the same DDL as ``ifm_api.search.index``, copied: migrations never import
app code). The entries are written by ``ifm-api db upgrade``, which rebuilds the read model
because its format changed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:05:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

SQLITE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_entries', "
    "content_rowid='item_id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.item_id, new.title, new.body); "
    "END",
    "CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.item_id, old.title, old.body); END",
    "CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.item_id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.item_id, new.title, new.body); "
    "END",
)
POSTGRES = (
    "ALTER TABLE search_entries ADD COLUMN title_vector tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(string_to_array(title, ' '))) STORED",
    "ALTER TABLE search_entries ADD COLUMN vector tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(array_cat(string_to_array(title, ' '), string_to_array(body, ' ')))) "
    "STORED",
    "CREATE INDEX ix_search_entries_vector ON search_entries USING gin (vector)",
)


def upgrade() -> None:
    op.create_table('search_entries',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('texts', sa.Text(), nullable=False),
    sa.Column('recency', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['public_items.id'], name=op.f('fk_search_entries_item_id_public_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_search_entries'))
    )
    statements = SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRES
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.drop_table('search_entries')
