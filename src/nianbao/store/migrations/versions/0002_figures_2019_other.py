"""figures.other_processing_2019: the 2019 format's single （六）其他处理 row, for corpus statistics.

Stores made by 0001 already hold that cell in ``cells``; the new column is filled from there, so an
upgraded store answers exactly like one built by this version.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PATH = "extra_2019.applications.other_processing.total"


def upgrade() -> None:
    with op.batch_alter_table("figures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("other_processing_2019", sa.Float(), nullable=True))
    op.execute(sa.text(
        "UPDATE figures SET other_processing_2019 = ("
        " SELECT c.value FROM cells c JOIN cell_paths p ON p.id = c.path_id"
        " WHERE c.report_id = figures.report_id AND p.path = :path)").bindparams(path=PATH))


def downgrade() -> None:
    with op.batch_alter_table("figures", schema=None) as batch_op:
        batch_op.drop_column("other_processing_2019")
