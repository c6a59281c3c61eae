"""The notifications service emits no events: what it did is in its delivery log
(`delivery_log` RPC) and, for staff, in `staff_notices`. The events it consumes are
listed in partanum/topology.py (NOTIFICATIONS) and read in intents.py."""
