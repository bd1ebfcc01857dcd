"""write-ahead intents of creations; the registry of complementary spaces

Revision ID: 0003_intents_and_spaces
Revises: 0002_web_accounts
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_intents_and_spaces"
down_revision = "0002_web_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intents",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key"),
    )
    op.create_table(
        "spaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moodle_id", sa.Integer(), nullable=False),
        sa.Column("shortname", sa.String(length=255), nullable=False),
        sa.Column("idnumber", sa.String(length=100), nullable=False),
        sa.Column("fullname", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("composante", sa.String(length=40), nullable=False),
        sa.Column("etapes", sa.JSON(), nullable=False),
        sa.Column("cohorts", sa.JSON(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_spaces_moodle_id", "spaces", ["moodle_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_spaces_moodle_id", table_name="spaces")
    op.drop_table("spaces")
    op.drop_table("intents")
