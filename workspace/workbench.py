"""The use cases one agent's workspace runs on, opened together for one agent and policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.engine import Database
from workspace.actions import Actions
from workspace.agents import AgentRecord
from workspace.approvals import Approvals
from workspace.desk import Desk
from workspace.follow_ups import FollowUps
from workspace.live import LiveFeed
from workspace.lookup import Lookup
from workspace.policy import Policy
from workspace.presence import Presence
from workspace.reading import Reading
from workspace.supervision import Supervision


@dataclass(frozen=True)
class Workbench:
    """What the workspace's panes call, by use case; every method is safe from workers."""

    agent: AgentRecord
    """Who works here."""
    policy: Policy
    """The policy their actions are decided by."""
    reading: Reading
    """The queue, the customer context and history, actions and requests: reads only."""
    desk: Desk
    """Claims, replies and notes, releases and resolutions."""
    actions: Actions
    """Verdicts previewed and actions taken under the policy."""
    approvals: Approvals
    """Decisions on requests, withdrawals, and the news of decisions."""
    presence: Presence
    """This workspace's session: its heartbeat, the contact it has open, quitting."""
    supervision: Supervision
    """Freeing and reassigning others' contacts (supervisors)."""
    feed: LiveFeed
    """Others' changes as they commit."""
    lookup: Lookup
    """Any customer, order or contact found from what the agent types."""
    follow_ups: FollowUps
    """Follow-ups promised to customers."""

    @classmethod
    def open(
        cls,
        db: Database,
        agent: AgentRecord,
        policy: Policy,
        clock: Callable[[], datetime],
        lapse_after: timedelta | None = None,
    ) -> Workbench:
        """The use cases of `agent` on `db`, under `policy`; holds of workspaces silent
        for `lapse_after` (default the team's, `CAREDESK_LAPSE_AFTER` seconds) go back to the
        queue."""
        if lapse_after is None:
            from workspace.settings import Settings  # the settings model loads when asked

            lapse_after = timedelta(seconds=Settings().lapse_after)
        return cls(
            agent=agent,
            policy=policy,
            reading=Reading(db, policy.currency, clock),
            desk=Desk(db, agent, clock),
            actions=Actions(db, agent, policy, clock),
            approvals=Approvals(db, agent, clock),
            presence=Presence(db, agent, clock=clock, lapse_after=lapse_after),
            supervision=Supervision(db, agent, clock),
            feed=LiveFeed(db),
            lookup=Lookup(db),
            follow_ups=FollowUps(db, agent, clock),
        )
