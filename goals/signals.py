"""What the goal rules tell the rest of the product: other apps listen, goals depends on none."""

from django.dispatch import Signal

# Sent by goals.rules inside each goal write's transaction, with `goal` (as written; for a
# deletion, as it was) and `changed`: the names of the fields whose values the write changed
# ("conditions" for the list of conditions; "condition_order" when only their order or their
# repeats changed, which no visit's fulfilment depends on), all of them and "created" for a new
# goal, or {"deleted"}.
goal_written = Signal()
