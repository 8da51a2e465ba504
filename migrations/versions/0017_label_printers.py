"""label printers and receipts from the counter device

A price-tag printer of its own (TSPL roll label printers such as the Xprinter XP-365B, or
the receipt printer's roll in ESC/POS), with its connection and roll; label jobs say they
go to it. The receipt printer's settings say who sends receipts: the server's queue, or
the counter device (RawBT, WebUSB, the browser's print) when the server cannot reach the
printer.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('label_printer_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('language', sa.Enum('none', 'escpos', 'tspl', name='label_language', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('connection', sa.Enum('none', 'network', 'usb', 'serial', 'file', 'cups', name='label_connection', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('host', sa.String(length=253), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('usb_vendor_id', sa.Integer(), nullable=True),
    sa.Column('usb_product_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('width_mm', sa.Integer(), nullable=False),
    sa.Column('height_mm', sa.Integer(), nullable=False),
    sa.Column('columns', sa.Integer(), nullable=False),
    sa.Column('gap_mm', sa.Integer(), nullable=False),
    sa.Column('density', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('columns IN (1, 2, 3)', name=op.f('ck_label_printer_settings_columns_range')),
    sa.CheckConstraint('density BETWEEN 0 AND 15', name=op.f('ck_label_printer_settings_density_range')),
    sa.CheckConstraint('gap_mm BETWEEN 0 AND 10', name=op.f('ck_label_printer_settings_gap_range')),
    sa.CheckConstraint('height_mm BETWEEN 10 AND 150', name=op.f('ck_label_printer_settings_height_range')),
    sa.CheckConstraint('id = 1', name=op.f('ck_label_printer_settings_single_row')),
    sa.CheckConstraint('port BETWEEN 1 AND 65535', name=op.f('ck_label_printer_settings_port_range')),
    sa.CheckConstraint('usb_product_id IS NULL OR usb_product_id BETWEEN 0 AND 65535', name=op.f('ck_label_printer_settings_usb_product')),
    sa.CheckConstraint('usb_vendor_id IS NULL OR usb_vendor_id BETWEEN 0 AND 65535', name=op.f('ck_label_printer_settings_usb_vendor')),
    sa.CheckConstraint('width_mm BETWEEN 20 AND 110', name=op.f('ck_label_printer_settings_width_range')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['member.id'], name=op.f('fk_label_printer_settings_updated_by_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_printer_settings'))
    )
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_label_printer', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('printer_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_path', sa.Enum('server', 'rawbt', 'webusb', 'browser', name='receipt_path', native_enum=False, create_constraint=True, length=16), server_default='server', nullable=False))



def downgrade():
    with op.batch_alter_table('printer_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_printer_settings_receipt_path'), type_='check')
        batch_op.drop_column('receipt_path')

    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_column('to_label_printer')

    op.drop_table('label_printer_settings')
