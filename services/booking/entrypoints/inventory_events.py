"""The booking keeps its copy of the inventory from the inventory's events."""

from datetime import UTC, datetime

from partanum import inbox, topology
from partanum.consumer import handle_events
from services.booking import loans, projections, reservations, waiting_list


class InventoryEventEntrypoints:
    @handle_events(topology.BOOKING_INVENTORY)
    def on_inventory_event(self, event):
        with self.db.transaction() as tx:
            if inbox.first_delivery(tx.session, "booking.on_inventory_event", event):
                projections.apply(tx.session, event)
                if event.type == "inventory.item_status_changed":
                    # In this transaction, so the flag, the replacement and the event
                    # happen with the status change or not at all.
                    reservations.withdraw_item(
                        tx,
                        event.data["item_id"],
                        event.data["to_status"],
                        datetime.now(UTC),
                        self.settings.buffer,
                    )
                if event.type == "inventory.site_hours_changed":
                    reservations.recheck_site_hours(
                        tx, event.data["site_id"], datetime.now(UTC), self.settings.zone
                    )
                    # Loans due back on a day the site now closes are due on its next open day.
                    loans.follow_closures(
                        tx, event.data["site_id"], self.settings.buffer, self.settings.zone
                    )
                # A device now on a shelf goes to the first in line there; one
                # taken off it gives its hold back.
                waiting_list.after_inventory_event(
                    tx, event, datetime.now(UTC), waiting_list.HoldTerms.of(self.settings)
                )
            tx.commit()
