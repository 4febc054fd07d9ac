"""Conversation templates about changing an order or claiming on its warranty."""

from __future__ import annotations

from workspace.demo.scenario import Scenario, ScenarioPath

#: Contacts that change an order or claim on it: address, cancel, warranty.
ORDER_CHANGES: tuple[Scenario, ...] = (
    Scenario(
        key="address",
        subject="Change delivery address for {order}",
        topic="changing the delivery address on order {order}",
        opens=(
            "I just placed order {order} and realised it's going to my old address. Can "
            "you change it to {new_address}?",
            "Please update the shipping address on {order} to {new_address}. I moved last week.",
        ),
        paths=(
            ScenarioPath(
                "No problem, the order hasn't left the warehouse yet, so I've updated the "
                "delivery address on {order} to {new_address}.",
                "Thanks. Will the delivery date stay the same?",
                "Yes, it's still due by {promised}.",
                "Address changed before dispatch on {order}.",
            ),
            ScenarioPath(
                "I've asked the warehouse to change the address on {order}. It's already "
                "packed, so I'll confirm once they've relabelled it.",
                "Can you also update the address on my account so this doesn't happen again?",
                "Done. Your account now has {new_address} as the default delivery address.",
                "Warehouse confirmed relabel of {order}; account address updated.",
            ),
        ),
        asks=("Before I change it, can you confirm the full new address including the ZIP code?",),
    ),
    Scenario(
        key="cancel",
        subject="Cancel order {order}",
        topic="cancelling order {order}",
        opens=(
            "I ordered the {product} twice by mistake. Please cancel order {order}.",
            "Can I still cancel {order}? I no longer need the {product}.",
        ),
        paths=(
            ScenarioPath(
                "Done: order {order} is cancelled and the payment of {total} has been "
                "released. You'll see it back on your card within 3-5 business days.",
                "Will I get an email confirming the cancellation?",
                "Yes, the confirmation has been sent to {email}.",
                "Cancelled before picking; payment authorisation voided.",
            ),
        ),
        asks=(
            "Just to double-check before I cancel: do you want to cancel the whole order "
            "{order}, or only the {product}?",
        ),
    ),
    Scenario(
        key="warranty",
        subject="Warranty claim: {product}",
        topic="a warranty claim for my {product}",
        opens=(
            "My {product} (order {order}) has stopped working. I bought it in "
            "{placed_month}. Is it still under warranty?",
            "The {product} I bought from you in {placed_month} won't turn on anymore. I'd "
            "like to make a warranty claim.",
        ),
        paths=(
            ScenarioPath(
                "Sorry to hear that. Your {product} has a {warranty}-month warranty, so "
                "you're covered. I've opened claim {rma}, and a prepaid label is on its "
                "way.",
                "How long does the repair usually take?",
                "Repairs take 7-10 business days from when we receive it. If it can't be "
                "fixed, we'll replace it.",
                "Warranty claim {rma} opened for {order}.",
            ),
            ScenarioPath(
                "I'm sorry it's giving you trouble. Before we start a claim, could you try "
                "a reset: unplug it for 60 seconds, then hold the power button while "
                "plugging it back in?",
                "I tried the reset and it still won't turn on.",
                "Thanks for trying. I've opened warranty claim {rma}, and we'll send a "
                "replacement instead of a repair so you're not without it.",
                "Warranty claim {rma} approved; replacement unit rather than repair.",
            ),
        ),
        asks=(
            "To open the warranty claim I need the serial number; it's on a sticker "
            "underneath the unit. Could you send me a photo of it?",
        ),
        thanks_later=("The replacement works perfectly. Thanks for making it easy.",),
    ),
)
