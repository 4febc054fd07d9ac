"""The live queue's contacts: when each arrived, its messages, holder and SLA clock.

`OpenContacts` gives the generator (`generate.Builder`) the open and pending contacts:
each is timed so its SLA is at the planned level at `now`, opened with the customer's
message (chasing an earlier contact when there is one), and maybe answered or noted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from workspace.demo.catalogue import MAX_WAIT
from workspace.demo.conversation import Conversations
from workspace.demo.drafts import Batch, Msg, OpenPlan, Story
from workspace.demo.team import Team
from workspace.demo.threads import HOLD_NOTES, SCENARIOS
from workspace.demo.values import between, whole_seconds
from workspace.sla import AT_RISK, SLA_MINUTES, sla_due
from workspace.vocabulary import Channel, ContactStatus, Direction, InteractionKind, Priority


class OpenContacts(Conversations):
    """Writes a customer's open and pending contacts on top of `Conversations`."""

    now: datetime
    agent_ids: dict[str, int]
    team: Team
    counts: dict[str, int]

    def _opened_at(self, plan: OpenPlan) -> datetime:
        """When the contact arrived, so that its SLA is at `plan.level` at `now`."""
        dice, now = self.dice, self.now
        due_in = timedelta(minutes=SLA_MINUTES[plan.channel][plan.priority])
        if plan.level == "breached":
            # A busy floor, not a failing one: most breaches are recent, none older than 6h.
            longest = min((MAX_WAIT[plan.channel] - due_in).total_seconds(), 6 * 3600)
            remaining = -(60 + (longest - 60) * dice.random() ** 2)
        elif plan.level == "at_risk":
            window = min(AT_RISK, due_in).total_seconds()
            remaining = dice.uniform(0.1, 0.9) * window
        else:
            remaining = dice.uniform(AT_RISK.total_seconds() + 60, due_in.total_seconds() - 60)
        return whole_seconds(now - due_in + timedelta(seconds=remaining))

    def _open_contact(
        self,
        batch: Batch,
        cid: str,
        story: Story,
        base: dict[str, str],
        msgs: list[Msg],
        spare: int,
    ) -> int:
        """The open contact's row and its messages; returns how many messages it used.

        The customer's opening message (at `opened_at`, linked to the contact) is always
        written; up to `spare` more go to an earlier message on another channel, the agent's
        question that left it pending, and the holder's note.
        """
        rng, dice, now = self.rng, self.dice, self.now
        plan, opened_at = story.plan, story.opened_at
        tid = f"T-{plan.number:06d}"
        scenario = SCENARIOS[story.key]
        holder = plan.holder
        agent = holder or dice.pick(self.team.responders)
        # Contacts about the same thing share its details (product, amounts, references).
        root = story.repeat_of or story
        if root.ctx is None:
            root.ctx = self._ctx(base, story.key, story.order, agent)
        ctx = {**root.ctx, "agent_first": self.first_names[agent]}
        subject = scenario.subject.format_map(ctx)
        ctx["topic"] = scenario.topic.format_map(ctx)
        opening = dice.pick(scenario.opens).format_map(ctx)
        extra = spare
        own: list[Msg] = []
        if story.after is not None:  # the customer already contacted us about this
            gap = opened_at - story.after.opened_at
            nudge = self._nudge(story.after.plan.channel, plan.channel, gap, ctx)
            opening = nudge if plan.channel == Channel.EMAIL else f"{nudge} {opening}"
        elif extra > 0 and dice.random() < 0.25:
            prev = (
                Channel.EMAIL
                if plan.channel != Channel.EMAIL
                else dice.pick((Channel.CHAT, Channel.CALL))
            )
            gap = timedelta(hours=dice.uniform(2, 40))
            own.append(
                Msg(
                    at=whole_seconds(opened_at - gap),
                    channel=prev,
                    direction=Direction.INBOUND,
                    kind=InteractionKind.MESSAGE,
                    text=self._style_in(prev, opening, ctx, True),
                    author=None,
                    subject=subject if prev == Channel.EMAIL else None,
                )
            )
            nudge = self._nudge(prev, plan.channel, gap, ctx)
            opening = nudge if plan.channel == Channel.EMAIL else f"{nudge} {opening}"
            extra -= 1
        own.append(
            Msg(
                at=opened_at,
                channel=plan.channel,
                direction=Direction.INBOUND,
                kind=InteractionKind.MESSAGE,
                text=self._style_in(plan.channel, opening, ctx, True),
                author=None,
                subject=subject if plan.channel == Channel.EMAIL else None,
                ticket_id=tid,
            )
        )
        first_response: datetime | None = None
        claimed_at: datetime | None = None
        if plan.status == ContactStatus.PENDING and extra > 0 and scenario.asks:
            at = between(rng, opened_at + (now - opened_at) * 0.2, now - timedelta(seconds=5))
            ask = dice.pick(scenario.asks).format_map(ctx)
            own.append(
                Msg(
                    at=at,
                    channel=plan.channel,
                    direction=Direction.OUTBOUND,
                    kind=InteractionKind.MESSAGE,
                    text=self._style_out(plan.channel, ask, ctx, agent),
                    author=self.display[agent],
                    subject=f"Re: {subject}" if plan.channel == Channel.EMAIL else None,
                    ticket_id=tid,
                )
            )
            first_response = at
            extra -= 1
        if holder is not None:
            claimed_at = between(rng, opened_at, now - timedelta(seconds=2))
            if extra > 0 and dice.random() < 0.5:
                note = dice.pick(HOLD_NOTES).format_map(ctx)
                at = between(rng, claimed_at, now - timedelta(seconds=1))
                own.append(
                    Msg(
                        at=at,
                        channel=plan.channel,
                        direction=Direction.INTERNAL,
                        kind=InteractionKind.NOTE,
                        text=note,
                        author=self.display[holder],
                        ticket_id=tid,
                    )
                )
                extra -= 1
        # A pending contact was parked when the agent asked its question (or, when nobody
        # did, as it arrived): its SLA clock stopped then.
        parked_at = None
        if plan.status == ContactStatus.PENDING:
            parked_at = first_response or opened_at
        batch.tickets.append(
            (
                tid,
                cid,
                plan.channel,
                subject,
                plan.status,
                ContactStatus(plan.status).active,
                plan.priority,
                Priority(plan.priority).rank,
                opened_at,
                sla_due(plan.channel, plan.priority, opened_at),
                self.agent_ids[holder] if holder else None,
                claimed_at,
                first_response,
                None,
                None,
                0,
                parked_at,
            )
        )
        if holder is not None:  # held since the claim: its hold still runs
            batch.holds.append((tid, self.agent_ids[holder], claimed_at, None, None))
        self.counts["tickets"] += 1
        msgs.extend(own)
        return len(own)
