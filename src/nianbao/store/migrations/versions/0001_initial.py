"""The initial schema: files, units, the unit mapping, reports, cells with provenance, figures, findings.

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cell_paths',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('path')
    )
    op.create_table('files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    op.create_table('unit_mapping',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.Column('region', sa.Text(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=True),
    sa.Column('parent', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=True),
    sa.Column('region', sa.Text(), nullable=True),
    sa.Column('parent', sa.Text(), nullable=True),
    sa.Column('origin', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('unit_aliases',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.SmallInteger(), nullable=True),
    sa.Column('version', sa.SmallInteger(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('unit_printed', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('report_date', sa.String(length=10), nullable=True),
    sa.Column('n_errors', sa.Integer(), nullable=False),
    sa.Column('n_warnings', sa.Integer(), nullable=False),
    sa.Column('n_notices', sa.Integer(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('file_id')
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_unit_year', ['unit_id', 'year'], unique=False)
        batch_op.create_index('ix_reports_year_current', ['year', 'is_current'], unique=False)

    op.create_table('cells',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('is_float', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('how', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['path_id'], ['cell_paths.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'path_id'),
    sqlite_with_rowid=False
    )
    op.create_table('figures',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('new_received', sa.Float(), nullable=True),
    sa.Column('carried_over', sa.Float(), nullable=True),
    sa.Column('granted', sa.Float(), nullable=True),
    sa.Column('partially_granted', sa.Float(), nullable=True),
    sa.Column('denied_state_secret', sa.Float(), nullable=True),
    sa.Column('denied_prohibited_by_law', sa.Float(), nullable=True),
    sa.Column('denied_security_stability', sa.Float(), nullable=True),
    sa.Column('denied_third_party', sa.Float(), nullable=True),
    sa.Column('denied_internal_affairs', sa.Float(), nullable=True),
    sa.Column('denied_process_info', sa.Float(), nullable=True),
    sa.Column('denied_enforcement_file', sa.Float(), nullable=True),
    sa.Column('denied_query_matter', sa.Float(), nullable=True),
    sa.Column('unable_not_held', sa.Float(), nullable=True),
    sa.Column('unable_needs_creation', sa.Float(), nullable=True),
    sa.Column('unable_unclear', sa.Float(), nullable=True),
    sa.Column('rejected_petition', sa.Float(), nullable=True),
    sa.Column('rejected_duplicate', sa.Float(), nullable=True),
    sa.Column('rejected_publication', sa.Float(), nullable=True),
    sa.Column('rejected_excessive', sa.Float(), nullable=True),
    sa.Column('rejected_confirm_or_reissue', sa.Float(), nullable=True),
    sa.Column('other_no_correction', sa.Float(), nullable=True),
    sa.Column('other_fee_unpaid', sa.Float(), nullable=True),
    sa.Column('other_other', sa.Float(), nullable=True),
    sa.Column('handled_total', sa.Float(), nullable=True),
    sa.Column('carried_forward', sa.Float(), nullable=True),
    sa.Column('review_upheld', sa.Float(), nullable=True),
    sa.Column('review_corrected', sa.Float(), nullable=True),
    sa.Column('review_other', sa.Float(), nullable=True),
    sa.Column('review_pending', sa.Float(), nullable=True),
    sa.Column('review_total', sa.Float(), nullable=True),
    sa.Column('litigation_direct_upheld', sa.Float(), nullable=True),
    sa.Column('litigation_direct_corrected', sa.Float(), nullable=True),
    sa.Column('litigation_direct_other', sa.Float(), nullable=True),
    sa.Column('litigation_direct_pending', sa.Float(), nullable=True),
    sa.Column('litigation_direct_total', sa.Float(), nullable=True),
    sa.Column('litigation_after_review_upheld', sa.Float(), nullable=True),
    sa.Column('litigation_after_review_corrected', sa.Float(), nullable=True),
    sa.Column('litigation_after_review_other', sa.Float(), nullable=True),
    sa.Column('litigation_after_review_pending', sa.Float(), nullable=True),
    sa.Column('litigation_after_review_total', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id')
    )
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('cells', sa.JSON(), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_report', ['report_id'], unique=False)
        batch_op.create_index('ix_findings_rule', ['rule'], unique=False)



def downgrade() -> None:
    op.drop_table('unit_aliases')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_rule')
        batch_op.drop_index('ix_findings_report')

    op.drop_table('findings')
    op.drop_table('figures')
    op.drop_table('cells')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_year_current')
        batch_op.drop_index('ix_reports_unit_year')

    op.drop_table('reports')
    op.drop_table('units')
    op.drop_table('unit_mapping')
    op.drop_table('files')
    op.drop_table('cell_paths')
