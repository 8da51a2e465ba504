"""stocktake: counts of the rail, their scans and decisions; items and consigned lots lost

A count (stock_count) is opened for the whole rail or some categories (stock_count_category);
phones add scans (count_scan, one per phone scan id); closing it records a decision per
difference (count_decision). An item not found can be marked lost (item status and disposal
kind "lost"); for a member's item the group pays her an expense of category "compensation"
naming her (expense.member_id), as much as the shop's rule says (shop_profile.lost_item_pays).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 19:01:00

"""

from alembic import op
import sqlalchemy as sa

ITEM_STATUS = ("in_stock", "sold", "returned_to_owner", "donated_onward", "written_off")
DISPOSAL_KIND = ("returned_to_owner", "given_to_group", "donated_onward", "written_off")
EXPENSE_CATEGORY = ("rent", "utilities", "supplies", "stock_purchase", "transport", "other")
#: A scan's columns as the phone sent it: never changed (only its withdrawal is set, once).
SCANNED = (
    "count_id",
    "client_id",
    "code",
    "item_id",
    "pieces",
    "by_id",
    "scanned_at",
    "received_at",
)
_KEPT = "stock count scans and decisions are kept as recorded"


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stock_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                name="count_status",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("scan_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(status = 'open' AND closed_at IS NULL AND closed_by_id IS NULL) OR (status = 'closed' AND closed_at IS NOT NULL AND closed_by_id IS NOT NULL)",
            name=op.f("ck_stock_count_closed_with_whom"),
        ),
        sa.CheckConstraint("scan_count >= 0", name=op.f("ck_stock_count_scan_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["member.id"], name=op.f("fk_stock_count_closed_by_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["member.id"], name=op.f("fk_stock_count_opened_by_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_count")),
        sa.UniqueConstraint("number", name=op.f("uq_stock_count_number")),
    )
    with op.batch_alter_table("stock_count", schema=None) as batch_op:
        batch_op.create_index(
            "uq_stock_count_one_open",
            ["status"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "stock_count_category",
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_stock_count_category_category_id_category"),
        ),
        sa.ForeignKeyConstraint(
            ["count_id"],
            ["stock_count.id"],
            name=op.f("fk_stock_count_category_count_id_stock_count"),
        ),
        sa.PrimaryKeyConstraint("count_id", "category_id", name=op.f("pk_stock_count_category")),
    )
    op.create_table(
        "count_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("pieces", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("scanned_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(withdrawn_at IS NULL AND withdrawn_by_id IS NULL) OR (withdrawn_at IS NOT NULL AND withdrawn_by_id IS NOT NULL)",
            name=op.f("ck_count_scan_withdrawn_with_whom"),
        ),
        sa.CheckConstraint("pieces >= 1", name=op.f("ck_count_scan_pieces_positive")),
        sa.ForeignKeyConstraint(["by_id"], ["member.id"], name=op.f("fk_count_scan_by_id_member")),
        sa.ForeignKeyConstraint(
            ["count_id"], ["stock_count.id"], name=op.f("fk_count_scan_count_id_stock_count")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_count_scan_item_id_item")),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["member.id"], name=op.f("fk_count_scan_withdrawn_by_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_scan")),
        sa.UniqueConstraint("count_id", "client_id", name="uq_count_scan_count_client"),
    )
    with op.batch_alter_table("count_scan", schema=None) as batch_op:
        batch_op.create_index("ix_count_scan_count_item", ["count_id", "item_id"], unique=False)

    op.create_table(
        "count_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column(
            "difference",
            sa.Enum(
                "missing",
                "lot_pieces",
                "found_off_books",
                "unknown_code",
                name="count_difference",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "lost",
                "keep",
                "back_on_rail",
                "quantity",
                "noted",
                name="count_decision_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("expected_pieces", sa.Integer(), nullable=True),
        sa.Column("counted_pieces", sa.Integer(), nullable=True),
        sa.Column("value_dong", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("compensation_dong", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("disposal_id", sa.Integer(), nullable=True),
        sa.Column("expense_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "compensation_dong >= 0", name=op.f("ck_count_decision_compensation_not_negative")
        ),
        sa.CheckConstraint(
            "counted_pieces IS NULL OR counted_pieces >= 0",
            name=op.f("ck_count_decision_counted_not_negative"),
        ),
        sa.CheckConstraint(
            "expected_pieces IS NULL OR expected_pieces >= 0",
            name=op.f("ck_count_decision_expected_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["member.id"], name=op.f("fk_count_decision_by_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["count_id"], ["stock_count.id"], name=op.f("fk_count_decision_count_id_stock_count")
        ),
        sa.ForeignKeyConstraint(
            ["disposal_id"], ["disposal.id"], name=op.f("fk_count_decision_disposal_id_disposal")
        ),
        sa.ForeignKeyConstraint(
            ["expense_id"], ["expense.id"], name=op.f("fk_count_decision_expense_id_expense")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_count_decision_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["member.id"], name=op.f("fk_count_decision_owner_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_decision")),
        sa.UniqueConstraint("count_id", "code", name="uq_count_decision_count_code"),
    )
    with op.batch_alter_table("count_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_count_decision_count_id"), ["count_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_count_decision_item_id"), ["item_id"], unique=False)

    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_expense_member_id"), ["member_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_expense_member_id_member"), "member", ["member_id"], ["id"]
        )

    with op.batch_alter_table("shop_profile", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "lost_item_pays", sa.String(length=12), server_default="owner_split", nullable=False
            )
        )

    _enum_values("item", "item_status", "status", ITEM_STATUS + ("lost",))
    _enum_values("disposal", "disposal_kind", "kind", DISPOSAL_KIND + ("lost",))
    _enum_values("expense", "expense_category", "category", EXPENSE_CATEGORY + ("compensation",))
    _enum_values(
        "expense_revision", "expense_category", "category", EXPENSE_CATEGORY + ("compensation",)
    )
    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "compensation_member", "(category = 'compensation') = (member_id IS NOT NULL)"
        )
    with op.batch_alter_table("shop_profile", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "lost_item_pays", "lost_item_pays IN ('owner_split', 'full_price', 'nothing')"
        )
    _kept_as_recorded()


def _kept_as_recorded():
    """Scans and decisions are never deleted; a scan changes only by being withdrawn once,
    a decision never."""
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in SCANNED)
        op.execute(
            "CREATE FUNCTION count_scan_as_scanned() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP = 'DELETE' OR {changed} OR (OLD.withdrawn_at IS NOT NULL AND "
            "(NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at OR "
            "NEW.withdrawn_by_id IS DISTINCT FROM OLD.withdrawn_by_id)) THEN "
            f"  RAISE EXCEPTION '{_KEPT}' USING ERRCODE = 'integrity_constraint_violation'; "
            "END IF; RETURN NEW; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER count_scan_as_scanned BEFORE UPDATE OR DELETE ON count_scan "
            "FOR EACH ROW EXECUTE FUNCTION count_scan_as_scanned()"
        )
        op.execute(
            "CREATE FUNCTION count_decision_as_decided() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{_KEPT}' USING ERRCODE = 'integrity_constraint_violation'; "
            "END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER count_decision_as_decided BEFORE UPDATE OR DELETE ON count_decision "
            "FOR EACH ROW EXECUTE FUNCTION count_decision_as_decided()"
        )
        return
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in SCANNED)
    op.execute(
        "CREATE TRIGGER count_scan_no_update BEFORE UPDATE ON count_scan "
        f"WHEN {changed} OR (OLD.withdrawn_at IS NOT NULL AND "
        "(NEW.withdrawn_at IS NOT OLD.withdrawn_at OR NEW.withdrawn_by_id IS NOT OLD.withdrawn_by_id)) "
        f"BEGIN SELECT RAISE(ABORT, '{_KEPT}'); END"
    )
    for table in ("count_scan", "count_decision"):
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{_KEPT}'); END"
        )
    op.execute(
        "CREATE TRIGGER count_decision_no_update BEFORE UPDATE ON count_decision "
        f"BEGIN SELECT RAISE(ABORT, '{_KEPT}'); END"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS count_scan_as_scanned ON count_scan")
        op.execute("DROP FUNCTION IF EXISTS count_scan_as_scanned()")
        op.execute("DROP TRIGGER IF EXISTS count_decision_as_decided ON count_decision")
        op.execute("DROP FUNCTION IF EXISTS count_decision_as_decided()")
    else:
        for name in (
            "count_scan_no_update",
            "count_scan_no_delete",
            "count_decision_no_update",
            "count_decision_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("shop_profile", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_shop_profile_lost_item_pays"), type_="check")
    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_expense_compensation_member"), type_="check")
    _enum_values("expense_revision", "expense_category", "category", EXPENSE_CATEGORY)
    _enum_values("expense", "expense_category", "category", EXPENSE_CATEGORY)
    _enum_values("disposal", "disposal_kind", "kind", DISPOSAL_KIND)
    _enum_values("item", "item_status", "status", ITEM_STATUS)
    with op.batch_alter_table("shop_profile", schema=None) as batch_op:
        batch_op.drop_column("lost_item_pays")

    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_expense_member_id_member"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_expense_member_id"))
        batch_op.drop_column("member_id")

    with op.batch_alter_table("count_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_count_decision_item_id"))
        batch_op.drop_index(batch_op.f("ix_count_decision_count_id"))

    op.drop_table("count_decision")
    with op.batch_alter_table("count_scan", schema=None) as batch_op:
        batch_op.drop_index("ix_count_scan_count_item")

    op.drop_table("count_scan")
    op.drop_table("stock_count_category")
    with op.batch_alter_table("stock_count", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_stock_count_one_open",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.drop_table("stock_count")


def _enum_values(table: str, name: str, column: str, values: tuple[str, ...]) -> None:
    """Replace the CHECK of a text enum column's allowed values (SQLite rebuilds the table)."""
    allowed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch_op.create_check_constraint(name, f"{column} IN ({allowed})")
