"""Conversation templates about money: double charges, missed discounts and refunds."""

from __future__ import annotations

from workspace.demo.scenario import Scenario, ScenarioPath

#: Contacts about payments: a double charge, a missed code, a refund.
BILLING: tuple[Scenario, ...] = (
    Scenario(
        key="double_charge",
        subject="Charged twice for order {order}",
        topic="being charged twice for order {order}",
        opens=(
            "I was charged twice for order {order}: two payments of {total} on my card "
            "ending {last4}. Please refund the duplicate.",
            "My bank statement shows {total} taken twice for the same order ({order}). "
            "Can you fix this?",
        ),
        paths=(
            ScenarioPath(
                "I can see why that's worrying. The second transaction is a "
                "pre-authorisation hold, not a charge; it drops off automatically within "
                "3-5 business days.",
                "It's been five days and the second charge is still there.",
                "I've escalated this to our billing team and they've released the hold "
                "manually. Reference {refund_ref}.",
                "Stuck authorisation on {order}; billing released it ({refund_ref}).",
            ),
            ScenarioPath(
                "You're right, the payment went through twice. I've refunded the duplicate "
                "{total} to the card ending {last4}; it should show within 3-5 business "
                "days.",
                "Can you send me a confirmation of the refund for my records?",
                "Of course. I've emailed a refund confirmation with reference {refund_ref} "
                "to {email}.",
                "Duplicate capture confirmed in the payment gateway; refund {refund_ref} issued.",
            ),
        ),
        asks=(
            "Could you tell me the dates of both transactions as they appear on your "
            "statement? Then I can match them in our payment system.",
        ),
        thanks_later=("The refund is showing on my card now. Thanks!",),
    ),
    Scenario(
        key="promo",
        subject="Discount code not applied to {order}",
        topic="the discount code that wasn't applied to order {order}",
        opens=(
            "I used the code {code} at checkout but order {order} was charged the full {total}.",
            "The {code} discount didn't come off my order {order}. Can you refund the difference?",
        ),
        paths=(
            ScenarioPath(
                "You're right, the code should have applied. I've refunded {discount} "
                "(15%) to your card ending {last4}.",
                "Thanks. Does the code work on my next order too?",
                "It's a one-time welcome code, but I've added a 10% voucher to your "
                "account for next time.",
                "Manual promo adjustment on {order}: {discount}.",
            ),
        ),
        asks=(
            "Could you send me a screenshot of the checkout page, or tell me roughly when "
            "you entered the code?",
        ),
    ),
    Scenario(
        key="refund",
        subject="Refund for order {order}",
        topic="my refund for order {order}",
        opens=(
            "I returned the {product} from order {order} two weeks ago and still haven't "
            "seen the refund of {total}. When will it come through?",
            "Where is my refund for {order}? The courier confirmed you received the return.",
        ),
        paths=(
            ScenarioPath(
                "Thanks for checking in. The return reached our warehouse and the refund "
                "of {total} was issued today; banks usually take 3-5 business days to show "
                "it.",
                "Will the refund include the original shipping cost?",
                "Yes. Because the item was faulty the shipping is refunded too, and it's "
                "included in that amount.",
                "Return {rma} inspected and approved; refund released.",
            ),
            ScenarioPath(
                "I've looked into {order}: the return arrived but the refund was waiting "
                "for inspection. I've pushed it through now, reference {refund_ref}.",
                "Which card will the money go back to?",
                "It goes back to the card you paid with, ending {last4}.",
                "Refund on {order} was stuck in inspection; released manually.",
            ),
        ),
        asks=(
            "Could you send me the return tracking number or the {rma} label reference? I "
            "can't find the parcel in our warehouse system yet.",
        ),
        thanks_later=("Refund received, thank you.",),
    ),
)
