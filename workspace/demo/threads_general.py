"""Conversation templates not about one order: products, accounts, gift cards, thanks."""

from __future__ import annotations

from workspace.demo.scenario import Scenario, ScenarioPath

#: Contacts not about one of the customer's orders (and thank-yous).
GENERAL: tuple[Scenario, ...] = (
    Scenario(
        key="product",
        subject="Question about the {product}",
        topic="the {product}",
        opens=(
            "Is the {product} in stock? I'd like it delivered within the week.",
            "What's the warranty on the {product}, and can I return it if it doesn't suit?",
            "Before I order: how big is the {product}? It's for a small apartment.",
        ),
        paths=(
            ScenarioPath(
                "Yes, the {product} is in stock and ships within one business day. It "
                "costs {price} and returns are free within 30 days.",
                "Great. Is there a discount if I order two?",
                "Not at the moment, but orders over $75 ship free.",
                "Pre-sales question on {sku}; sent stock and returns info.",
            ),
            ScenarioPath(
                "The {product} comes with a {warranty}-month warranty, and you can return "
                "it within 30 days if it doesn't suit, in its original packaging.",
                "Do I need to keep the receipt for the warranty?",
                "No, your order confirmation is your proof of purchase, and it's always in "
                "your account.",
                "Pre-sales question on {sku}: warranty and returns.",
            ),
            ScenarioPath(
                "It's fairly compact; the exact dimensions are on the product page under "
                "Specifications. If it doesn't fit, returns are free within 30 days.",
                "Thanks. Does it come in other colours?",
                "Right now it comes in white and charcoal, and both ship within one business day.",
                "Pre-sales question on {sku}: size and colours.",
            ),
        ),
        paired=True,
        asks=("Happy to help. Which room is it for, so I can suggest the right size?",),
    ),
    Scenario(
        key="login",
        subject="Can't log in to my account",
        topic="not being able to log in",
        opens=(
            "The password reset email never arrives. I've checked spam. Can you help?",
            "I can't log in to my account: it says my email isn't registered, but I've "
            "ordered from you before.",
        ),
        paths=(
            ScenarioPath(
                "I've sent a new reset link to {email}; it's valid for one hour.",
                "Still nothing. Is the address on my account right?",
                "Thanks for checking. The address had a typo, which I've corrected, and a "
                "new link is on its way.",
                "Verified identity via order history before correcting the email on file.",
            ),
        ),
        asks=("For security, could you confirm your ZIP code and the number of your last order?",),
    ),
    Scenario(
        key="account",
        subject="Update my contact details",
        topic="updating my contact details",
        opens=(
            "I've changed my phone number. Could you update my account? The new one is "
            "{new_phone}.",
            "Please change the email address on my account to {new_email}. The old one "
            "will stop working soon.",
        ),
        paths=(
            ScenarioPath(
                "Done, your account is updated, and you'll get a confirmation email shortly.",
                "Will this change the details on orders I've already placed?",
                "Open orders are updated too; delivered orders keep the details they were "
                "placed with.",
                "Contact details changed after verifying the last order number.",
            ),
            ScenarioPath(
                "Happy to help. For security, could you confirm your ZIP code and the "
                "number of your last order?",
                "Sure, it's the order from last month, and the ZIP code is the one on the account.",
                "Thanks, that matches. Your details are updated.",
                "Identity verified via order history; contact details changed.",
            ),
        ),
        asks=("For security, could you confirm your ZIP code and your last order number?",),
    ),
    Scenario(
        key="gift_card",
        subject="Gift card balance",
        topic="my gift card",
        opens=(
            "I have a gift card from my sister. How do I check the balance?",
            "My gift card code isn't accepted at checkout. It says 'invalid code'.",
        ),
        paths=(
            ScenarioPath(
                "You can see the balance under Account > Gift cards once you add it. I've "
                "checked it for you: it has $50.00 left and never expires.",
                "Can I use it together with a discount code?",
                "Yes, you can use one discount code and any number of gift cards on the "
                "same order.",
                "Gift card balance checked for the customer.",
            ),
            ScenarioPath(
                "Sorry about that! The card hadn't been activated when it was bought. I've "
                "activated it now, so it should work at checkout.",
                "It worked, but the total was $5 more than the card. Is that right?",
                "Yes, the rest of the order was charged to your card as normal.",
                "Gift card was never activated by the store; activated manually.",
            ),
        ),
        paired=True,
        asks=("Could you send me the last four characters of the gift card code?",),
    ),
    Scenario(
        key="compliment",
        subject="Thank you!",
        topic="my last order",
        opens=(
            "Just wanted to say the {product} arrived early and it's fantastic. Great service!",
            "Quick note to say thanks: the {product} is exactly what I needed.",
        ),
        paths=(
            ScenarioPath(
                "Thank you for taking the time to write! I'll pass this on to the team.",
                "",
                "",
                "",
            ),
        ),
        asks=(),
        max_len=2,
    ),
)
