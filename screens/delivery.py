"""Each workspace is one of the team's deliverers: it sends the outbox (the executed actions'
messages to the systems that fulfil them) as actions commit, when the team configured where
they go (`CAREDESK_DELIVERY_URL`, `CAREDESK_DELIVERY_SECRET`). Without that, messages wait
in the outbox for `caredesk deliver`. It also brings follow-ups that fell due back to their
owners' queues (`workspace.follow_ups.Sweep`). It shows nothing: an action's state is in its
entry, a follow-up's in the queue and the digest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.widget import Widget
from textual.worker import get_current_worker

if TYPE_CHECKING:  # the database layers load in the boot worker, after the first frame
    from workspace.workbench import Workbench

#: The delivering worker's group: it runs as long as the workspace is open.
DELIVER = "delivery.send"
#: Longest wait for a commit before looking for retries that fell due.
WAIT = 1.0
#: Seconds before trying again after the database went away.
RETRY = 3.0
#: The follow-up sweep's worker group: it runs as long as the workspace is open.
SWEEP = "follow_ups.sweep"
#: Seconds between looks for follow-ups that fell due (by the workspace's clock).
SWEEP_EVERY = 15.0
#: Seconds the sweeping worker sleeps between looks at its clock and its cancellation.
TICK = 0.5


class DeliveryWatcher(Widget):
    """Sends due messages from this workspace, and brings due follow-ups; shows nothing."""

    DEFAULT_CSS = "DeliveryWatcher { display: none; }"

    def start(self, bench: Workbench) -> None:
        """Deliver from the bench's database until the workspace closes, if delivery is
        configured."""
        self._deliver(bench)
        self._sweep(bench)

    @work(thread=True, exclusive=True, group=SWEEP, exit_on_error=False)
    def _sweep(self, bench: Workbench) -> None:
        import time

        from workspace.errors import database_lost
        from workspace.follow_ups import Sweep

        worker = get_current_worker()
        sweep = Sweep(bench.desk.db, bench.desk.config, bench.desk.clock, every=SWEEP_EVERY)
        while not worker.is_cancelled:
            try:
                sweep()
            except Exception as error:
                if not database_lost(error):
                    raise
                time.sleep(RETRY)  # the database went away: the follow-ups wait in it
            time.sleep(TICK)

    @work(thread=True, exclusive=True, group=DELIVER, exit_on_error=False)
    def _deliver(self, bench: Workbench) -> None:
        from workspace.delivery import Deliverer, Endpoints

        endpoints = Endpoints.from_settings()
        if not endpoints.configured:
            return  # not configured here: the outbox waits for a deliverer that is
        worker = get_current_worker()
        deliverer = Deliverer(bench.actions.db, endpoints)
        try:
            deliverer.run(lambda: worker.is_cancelled, wait=WAIT, retry=RETRY)
        finally:
            deliverer.close()
