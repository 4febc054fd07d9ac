"""Conversation templates about getting the goods: late, untracked, damaged or wrong."""

from __future__ import annotations

from workspace.demo.scenario import Scenario, ScenarioPath

#: Contacts about a delivery: late, when it comes, damaged, the wrong item.
DELIVERY: tuple[Scenario, ...] = (
    Scenario(
        key="late",
        subject="Order {order} hasn't arrived",
        topic="order {order}, which still hasn't arrived",
        opens=(
            "My order {order} was supposed to arrive by {promised} and it's still not "
            "here. The tracking hasn't updated in days. Can you tell me where it is?",
            "Still waiting on order {order} ({product}). It was promised by {promised}. "
            "What's going on?",
            "The {product} I ordered ({order}) was due on {promised} but nothing has shown "
            "up. Could you check with the courier?",
        ),
        paths=(
            ScenarioPath(
                "I'm sorry your order is late. I've checked with {carrier}: the parcel is at "
                "their regional depot and should be delivered within 2 business days. "
                "Tracking number {tracking}.",
                "It's been two more days and still nothing. Can you just send a replacement?",
                "I've arranged a replacement at no cost and it ships today by express. If "
                "the original turns up as well, just refuse it at the door.",
                "Carrier trace opened with {carrier} for {tracking}; replacement approved "
                "for {order}.",
            ),
            ScenarioPath(
                "Apologies for the delay on {order}. {carrier} reports a backlog at their "
                "sorting hub. I've opened a trace and refunded the shipping fee as an "
                "apology.",
                "Thanks. Will I get a notification when it's out for delivery?",
                "Yes, {carrier} will text you on the morning of delivery. If it hasn't "
                "arrived by Friday, reply here and I'll send a replacement.",
                "Shipping fee refunded on {order}. Follow up with {carrier} in 48h.",
            ),
            ScenarioPath(
                "Thank you for your patience. The parcel was mis-routed, and {carrier} has "
                "re-sent it with a new estimate of two days. New tracking: {tracking}.",
                "The tracking page now says 'exception'. What does that mean?",
                "An exception usually means a missed scan. I've asked {carrier} to check, "
                "and it now shows as out for delivery.",
                "Mis-route confirmed by {carrier}; customer has the new tracking number.",
            ),
        ),
        asks=(
            "I've opened a trace with {carrier}. Could you confirm the delivery address is "
            "still correct, and check whether a neighbour or the building office took it "
            "in?",
            "I'm sorry about the wait. Before I send a replacement, can you check your "
            "front porch or mailroom once more? {carrier} shows a delivery attempt.",
        ),
        thanks_later=(
            "It arrived this morning. Thanks for chasing it!",
            "Finally got it. Appreciate you sorting it out.",
        ),
    ),
    Scenario(
        key="where",
        subject="Delivery date for order {order}",
        topic="when order {order} will arrive",
        opens=(
            "Can you tell me when order {order} will arrive? I need the {product} before "
            "the weekend.",
            "I placed order {order} a couple of days ago and haven't had a shipping "
            "email yet. Has it left the warehouse?",
        ),
        paths=(
            ScenarioPath(
                "Your order shipped with {carrier}, tracking {tracking}, and is on track to "
                "arrive by {promised}.",
                "Is there any way to speed it up?",
                "It's already with the courier, but you can choose a delivery slot on the "
                "{carrier} tracking page.",
                "Customer asked about delivery date; shared tracking {tracking}.",
            ),
            ScenarioPath(
                "Your order is packed and will be collected by {carrier} this afternoon. "
                "You'll get an email with tracking as soon as it's scanned.",
                "OK. Will it still make it by {promised}?",
                "Yes, it's still due by {promised}. I've flagged it as a priority at the "
                "warehouse as well.",
                "Priority flag added on {order} at customer's request.",
            ),
        ),
        asks=(
            "I'm checking with the warehouse now. Is there a day this week when nobody "
            "will be home, so I can ask {carrier} to avoid it?",
        ),
    ),
    Scenario(
        key="damaged",
        subject="{product} arrived damaged",
        topic="the damaged {product} from order {order}",
        opens=(
            "The {product} from order {order} arrived with a cracked casing. The box "
            "was crushed on one corner. I'd like a replacement please.",
            "Opened my delivery ({order}) and the {product} is broken. Really disappointed.",
            "My {product} arrived damaged: there's a big dent and it doesn't work. Order "
            "{order}. What can you do?",
        ),
        paths=(
            ScenarioPath(
                "I'm so sorry the {product} arrived damaged. Could you send a photo of the "
                "item and the packaging? Once I have it I'll ship a replacement.",
                "Photos attached. The box was clearly dropped.",
                "Thanks for the photos. A replacement {product} is on its way with "
                "tracking {tracking}, and a prepaid return label for the damaged one has "
                "been sent to {email}.",
                "Damage claim filed with {carrier}, photos on file. Replacement sent at no charge.",
            ),
            ScenarioPath(
                "Sorry about that! I've arranged a replacement for order {order}; it ships "
                "within 24 hours.",
                "Do I need to send the broken one back before the replacement ships?",
                "No need to wait: the replacement ships now, and you have 30 days to drop "
                "the damaged one off with the prepaid label.",
                "Replacement for {order} raised without return-first (tier {tier}).",
            ),
        ),
        asks=(
            "Could you reply with a couple of photos of the damage and of the outer box? "
            "That's all I need to send the replacement.",
        ),
        thanks_later=("Replacement arrived in perfect condition. Thank you!",),
    ),
    Scenario(
        key="wrong_item",
        subject="Wrong item in order {order}",
        topic="the wrong item I received in order {order}",
        opens=(
            "I ordered the {product} but the box had a {other_product} in it instead. "
            "Order {order}.",
            "Order {order} arrived but it's the wrong item: {other_product} instead of "
            "the {product}.",
        ),
        paths=(
            ScenarioPath(
                "I'm sorry, that's a picking error on our side. I've sent the correct "
                "{product} by express and emailed a prepaid label for the "
                "{other_product}.",
                "Do I have to send the wrong one back?",
                "Yes please, within 30 days using the prepaid label. There's no cost to you.",
                "Mis-pick on {order} reported to the warehouse.",
            ),
        ),
        asks=(
            "Could you send a photo of the label on the item you received? The warehouse "
            "wants to find where the mix-up happened.",
        ),
    ),
)
