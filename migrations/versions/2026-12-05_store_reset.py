"""store resets

One row per admin reset scope (``*`` for everything, or an account id): when it was last reset, so that
writes of requests that arrived before are refused, and the revision floor for zones imported again.

Revision ID: 7c41e2a9b3f0
Revises: 5b0c6a1d9e37
Create Date: 2026-12-05 06:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7c41e2a9b3f0"
down_revision: str | Sequence[str] | None = "5b0c6a1d9e37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_reset",
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("reset_at_us", sa.BigInteger(), nullable=False),
        sa.Column("revision_floor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_store_reset")),
    )


def downgrade() -> None:
    op.drop_table("store_reset")
