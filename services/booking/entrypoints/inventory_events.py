"""The booking keeps its copy of the inventory from the inventory's events."""
from partanum import inbox, topology
from partanum.consumer import handle_events
from services.booking import projections


class InventoryEventEntrypoints:
    @handle_events(topology.BOOKING_INVENTORY)
    def on_inventory_event(self, event):
        with self.db.transaction() as tx:
            if inbox.first_delivery(tx.session, "booking.on_inventory_event", event):
                projections.apply(tx.session, event, self.inventory.get_site)
            tx.commit()
