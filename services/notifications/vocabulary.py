"""The words the notifications share with every caller: a message's status. Part
of its contract (like events.py, schemas.py and exceptions.py): it imports nothing
of the service."""

# Statuses of a message. pending: waits for its time (send_after, next_attempt_at);
# sending: claimed by the sender (committed before it sends); sent: accepted by a
# channel; call_task: the resident chose no channel, staff were asked to call;
# capped: held back by the per-resident daily cap; failed: every attempt failed;
# cancelled: obsolete before it left (a loan returned before its reminder);
# skipped: nobody to send it to (a partner desk without an email address).
PENDING, SENDING, SENT, CALL_TASK, CAPPED, FAILED, CANCELLED, SKIPPED = (
    "pending",
    "sending",
    "sent",
    "call_task",
    "capped",
    "failed",
    "cancelled",
    "skipped",
)
STATUSES = (PENDING, SENDING, SENT, CALL_TASK, CAPPED, FAILED, CANCELLED, SKIPPED)
