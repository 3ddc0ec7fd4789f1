"""search vector kept in the row

PostgreSQL: ``search_entries.vector`` (every token of a row, about 2 KB, which pglz does not
compress) is stored in the row (``STORAGE MAIN``) instead of out of line in the TOAST table.
A search checks it on every row it walks: to count a common word's first 1,001 matches, about
2,000 rows, each a TOAST fetch (an index look-up and the chunks) before; 5.9 -> 1.9 ms at
N = 100,000. The rows written before are moved into the row here (the table rewritten).
SQLite: nothing (FTS5).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 05:45:00
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _store(storage: str) -> None:
    """The vector by the rule ``storage``, the rows written before included: a rewrite of
    the table (``|| ''`` is the same vector as a new value; the same value would keep its
    TOAST pointer), which builds its indexes anew (the GIN index too, as after a fresh
    build; an ``UPDATE`` of every row would leave it twice the size, and slower). One
    statement: a change of type alone sets the type's storage again, and the rewrite comes
    after both changes."""
    op.execute(
        "ALTER TABLE search_entries "
        "ALTER COLUMN vector TYPE tsvector USING vector || ''::tsvector, "
        f"ALTER COLUMN vector SET STORAGE {storage}"
    )


def upgrade() -> None:
    if _postgresql():
        _store("MAIN")


def downgrade() -> None:
    if _postgresql():
        _store("EXTENDED")
