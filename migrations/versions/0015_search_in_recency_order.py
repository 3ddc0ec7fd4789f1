"""search in recency order

The search index is keyed by ``recency_key`` (the item's own date in seconds, then the row
id): SQLite's FTS5 rowid and the primary key of ``search_entries`` and ``search_texts`` on
both databases, so the newest matches of a word are read first and a page stops early
(``ORDER BY recency_key DESC LIMIT n``) instead of ranking every match. The index is derived:
dropped here and written again by ``ifm-api db upgrade`` (the read model's format changed).
``search_terms``: every token of the index, so that a prefix query word can be matched by
the terms it covers (read lazily by FTS5) instead of a prefix query (which FTS5 answers by
merging every matching term's whole list first).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 22:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fts(rowid: str) -> tuple[str, ...]:
    return (
        "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_texts', "
        f"content_rowid='{rowid}', tokenize='unicode61 remove_diacritics 0')",
        "CREATE TRIGGER search_texts_ai AFTER INSERT ON search_texts BEGIN "
        f"INSERT INTO search_fts(rowid, title, body) VALUES (new.{rowid}, new.title, new.body); "
        "END",
        "CREATE TRIGGER search_texts_ad AFTER DELETE ON search_texts BEGIN "
        "INSERT INTO search_fts(search_fts, rowid, title, body) "
        f"VALUES ('delete', old.{rowid}, old.title, old.body); END",
        "CREATE TRIGGER search_texts_au AFTER UPDATE ON search_texts BEGIN "
        "INSERT INTO search_fts(search_fts, rowid, title, body) "
        f"VALUES ('delete', old.{rowid}, old.title, old.body); "
        f"INSERT INTO search_fts(rowid, title, body) VALUES (new.{rowid}, new.title, new.body); "
        "END",
    )


POSTGRES = (
    "ALTER TABLE search_entries ADD COLUMN title_vector tsvector",
    "ALTER TABLE search_entries ADD COLUMN vector tsvector",
    "CREATE INDEX ix_search_entries_vector ON search_entries USING gin (vector)",
    # no parallel scans: a search's statement holds plans it does not run (the tier variants
    # the count rules out), and a parallel plan would start its workers all the same
    "ALTER TABLE search_entries SET (parallel_workers = 0)",
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _forget_built_read_model() -> None:
    """The next ``ifm-api db upgrade`` writes the index (and the read model) again."""
    op.execute("DELETE FROM read_model_state")


def _entries(keyed: bool) -> None:
    def key() -> list[sa.Column]:
        return [sa.Column('recency_key', KEY, autoincrement=False, nullable=False)] if keyed else []

    op.create_table('search_entries',
    *key(),
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
    sa.PrimaryKeyConstraint('recency_key' if keyed else 'item_id', name=op.f('pk_search_entries')),
    *([sa.UniqueConstraint('item_id', name=op.f('uq_search_entries_item_id'))] if keyed else []),
    )
    op.create_table('search_texts',
    *key(),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('texts', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['public_items.id'], name=op.f('fk_search_texts_item_id_public_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('recency_key' if keyed else 'item_id', name=op.f('pk_search_texts')),
    *([sa.UniqueConstraint('item_id', name=op.f('uq_search_texts_item_id'))] if keyed else []),
    )
    for statement in _fts('recency_key' if keyed else 'item_id') if _sqlite() else POSTGRES:
        op.execute(statement)
    _forget_built_read_model()


def _terms() -> None:
    op.create_table('search_terms',
    sa.Column('term', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('term', name=op.f('pk_search_terms'))
    )


def _drop() -> None:
    if _sqlite():
        op.execute("DROP TABLE search_fts")
    op.drop_table('search_texts')
    op.drop_table('search_entries')


def upgrade() -> None:
    _drop()
    _entries(keyed=True)
    _terms()


def downgrade() -> None:
    op.drop_table('search_terms')
    _drop()
    _entries(keyed=False)
