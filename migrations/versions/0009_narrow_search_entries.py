"""narrow search entries

A search with many matches reads one entry per match: ``search_entries`` keeps only what is
filtered and ranked by (small rows that stay in the page cache), the tokens and texts move
to ``search_texts`` (SQLite's FTS5 table now indexes those), PostgreSQL's ``tsvector``
columns are written with the entry. The index is derived: dropped here and written again by
``ifm-api db upgrade`` (the read model's format changed).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SQLITE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_texts', "
    "content_rowid='item_id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_texts_ai AFTER INSERT ON search_texts BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.item_id, new.title, new.body); "
    "END",
    "CREATE TRIGGER search_texts_ad AFTER DELETE ON search_texts BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.item_id, old.title, old.body); END",
    "CREATE TRIGGER search_texts_au AFTER UPDATE ON search_texts BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.item_id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.item_id, new.title, new.body); "
    "END",
)
POSTGRES = (
    "ALTER TABLE search_entries ADD COLUMN title_vector tsvector",
    "ALTER TABLE search_entries ADD COLUMN vector tsvector",
    "CREATE INDEX ix_search_entries_vector ON search_entries USING gin (vector)",
)
# 0007's structures, for the downgrade
SQLITE_0007 = (
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
POSTGRES_0007 = (
    "ALTER TABLE search_entries ADD COLUMN title_vector tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(string_to_array(title, ' '))) STORED",
    "ALTER TABLE search_entries ADD COLUMN vector tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(array_cat(string_to_array(title, ' '), string_to_array(body, ' ')))) "
    "STORED",
    "CREATE INDEX ix_search_entries_vector ON search_entries USING gin (vector)",
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _forget_built_read_model() -> None:
    """The next ``ifm-api db upgrade`` writes the index (and the read model) again."""
    op.execute("DELETE FROM read_model_state")


def upgrade() -> None:
    if _sqlite():
        op.execute("DROP TABLE search_fts")
    op.drop_table('search_entries')
    op.create_table('search_entries',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('lenient', sa.Boolean(), nullable=False),
    sa.Column('strict', sa.Boolean(), nullable=False),
    sa.Column('visible_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('visible_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recency', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['public_items.id'], name=op.f('fk_search_entries_item_id_public_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_search_entries'))
    )
    op.create_table('search_texts',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('texts', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['public_items.id'], name=op.f('fk_search_texts_item_id_public_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_search_texts'))
    )
    for statement in SQLITE if _sqlite() else POSTGRES:
        op.execute(statement)
    _forget_built_read_model()


def downgrade() -> None:
    if _sqlite():
        op.execute("DROP TABLE search_fts")
    op.drop_table('search_texts')
    op.drop_table('search_entries')
    op.create_table('search_entries',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('recency', sa.DateTime(timezone=True), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('texts', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['public_items.id'], name=op.f('fk_search_entries_item_id_public_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_search_entries'))
    )
    for statement in SQLITE_0007 if _sqlite() else POSTGRES_0007:
        op.execute(statement)
    _forget_built_read_model()
