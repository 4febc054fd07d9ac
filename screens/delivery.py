"""Each workspace is one of the team's deliverers: it sends the outbox (the executed actions'
messages to the systems that fulfil them) as actions commit, when the team configured where
they go (`CAREDESK_DELIVERY_URL`, `CAREDESK_DELIVERY_SECRET`). Without that, messages wait
in the outbox for `caredesk deliver`. It shows nothing: an action's state is in its entry.
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


class DeliveryWatcher(Widget):
    """Sends due messages from this workspace; shows nothing."""

    DEFAULT_CSS = "DeliveryWatcher { display: none; }"

    def start(self, bench: Workbench) -> None:
        """Deliver from the bench's database until the workspace closes, if delivery is
        configured."""
        self._deliver(bench)

    @work(thread=True, exclusive=True, group=DELIVER, exit_on_error=False)
    def _deliver(self, bench: Workbench) -> None:
        from workspace.delivery import Deliverer, Endpoints

        endpoints = Endpoints.from_environment()
        if not endpoints.configured:
            return  # not configured here: the outbox waits for a deliverer that is
        worker = get_current_worker()
        deliverer = Deliverer(bench.actions.db, endpoints)
        try:
            deliverer.run(lambda: worker.is_cancelled, wait=WAIT, retry=RETRY)
        finally:
            deliverer.close()
