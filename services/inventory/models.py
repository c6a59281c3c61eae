"""The inventory's tables: partners, sites, categories, items, kits and the
history of what happened to each item."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Numeric, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    sites: Mapped[list["Site"]] = relationship(back_populates="partner", order_by="Site.name")


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    address: Mapped[str] = mapped_column(String(300))
    # {"monday": [["13:30", "18:30"]], "tuesday": [["09:00", "12:00"], ["13:30", "18:30"]]}
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)

    partner: Mapped[Partner] = relationship(back_populates="sites")
    closures: Mapped[list["Closure"]] = relationship(
        back_populates="site", order_by="Closure.starts_on", cascade="all, delete-orphan"
    )


class Closure(Base):
    """A holiday or an exceptional closing, whole days from starts_on to ends_on inclusive."""

    __tablename__ = "site_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))

    site: Mapped[Site] = relationship(back_populates="closures")


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(40), unique=True)
    serial_number: Mapped[str | None] = mapped_column(String(100))
    make: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    owner_partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    home_site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    current_site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    accessories: Mapped[list] = mapped_column(JSON, default=list)
    condition: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))

    category: Mapped[Category] = relationship()
    owner: Mapped[Partner] = relationship()
    home_site: Mapped[Site] = relationship(foreign_keys=[home_site_id])
    current_site: Mapped[Site] = relationship(foreign_keys=[current_site_id])


kit_items = Table(
    "kit_items",
    Base.metadata,
    Column("kit_id", ForeignKey("kits.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("items.id"), primary_key=True),
)


class Kit(Base):
    """Items lent together, such as a 10-tablet workshop kit."""

    __tablename__ = "kits"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[Item]] = relationship(secondary=kit_items, order_by="Item.asset_tag")


class ItemHistory(Base):
    """Who moved an item or changed its state, when and why."""

    __tablename__ = "item_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    change: Mapped[str] = mapped_column(String(40))  # "status", "transfer" or "transfer_skipped"
    before: Mapped[str] = mapped_column(String(100))
    after: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
